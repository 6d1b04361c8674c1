#include "node/service/signing_queue.h"

namespace shequ::service {

SigningQueue::SigningQueue(const crypto::SigningKey& key, size_t workers) : key_(key) {
  for (size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { Work(); });
}

SigningQueue::~SigningQueue() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void SigningQueue::Submit(crdt::Change* change) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(change);
  }
  work_cv_.notify_one();
}

// Takes one change off the queue and signs it with the lock released. REQUIRES: lock held.
bool SigningQueue::SignOne(std::unique_lock<std::mutex>& lock) {
  if (queue_.empty()) return false;
  crdt::Change* c = queue_.front();
  queue_.pop_front();
  ++in_flight_;
  lock.unlock();
  Status st = crdt::SignPrepared(*c, key_);
  lock.lock();
  --in_flight_;
  if (!st.ok() && error_.ok()) error_ = st;
  if (queue_.empty() && in_flight_ == 0) idle_cv_.notify_all();
  return true;
}

void SigningQueue::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    SignOne(lock);
  }
}

Status SigningQueue::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  while (SignOne(lock)) {
  }
  idle_cv_.wait(lock, [&] { return queue_.empty() && in_flight_ == 0; });
  Status st = error_;
  error_ = Status::Ok();
  return st;
}

void SigningQueue::Discard() {
  std::unique_lock<std::mutex> lock(mu_);
  queue_.clear();
  idle_cv_.wait(lock, [&] { return in_flight_ == 0; });
  error_ = Status::Ok();
}

}  // namespace shequ::service
