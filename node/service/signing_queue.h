// Signs prepared changes on background threads while the writer thread goes on folding, so that
// a bulk import costs about max(fold, sign / cores) instead of fold + sign. The writer submits
// each change as it folds it and drains the queue before committing the transaction.
//
// Thread safety: Submit and Drain are called by the one writer thread only.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "node/crypto/crypto.h"
#include "replication/crdt/change.h"

namespace shequ::service {

class SigningQueue {
 public:
  // workers = 0 signs everything on the writer thread in Drain.
  SigningQueue(const crypto::SigningKey& key, size_t workers);
  ~SigningQueue();
  SigningQueue(const SigningQueue&) = delete;
  SigningQueue& operator=(const SigningQueue&) = delete;

  // Queues a change for signing; it must stay where it is until Drain returns.
  void Submit(crdt::Change* change);
  // Signs what is still queued on this thread too, waits for the workers, and returns the first
  // failure. Afterwards every submitted change has its signature.
  Status Drain();
  // Forgets queued work (the transaction is being abandoned) after in-flight signatures finish.
  void Discard();

 private:
  void Work();
  bool SignOne(std::unique_lock<std::mutex>& lock);

  const crypto::SigningKey& key_;
  std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<crdt::Change*> queue_;
  size_t in_flight_ = 0;
  bool stop_ = false;
  Status error_;
  std::vector<std::thread> workers_;
};

}  // namespace shequ::service
