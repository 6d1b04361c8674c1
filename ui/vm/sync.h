// Sync status per peer and "sync now" (docs/UI.md "Sync"): what the `peers` database says of
// every node this one has had sessions with (last contact, bytes, rejected changes, pending
// changes), and a sync with one contact run on a background thread (the same session as
// `shequ sync`). While it runs the session is busy: the UI refuses writes (one writer).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "node/base/status.h"
#include "ui/vm/session.h"

namespace shequ::ui {

struct PeerRow {
  std::string id, name;  // node id (first 12 hex digits), certificate name
  uint64_t last_contact_ms = 0, last_sync_ms = 0;
  uint64_t pending = 0;  // changes stored here since the last completed sync with it
  uint64_t changes_sent = 0, changes_received = 0, rejected = 0;
  uint64_t bytes_sent = 0, bytes_received = 0, sessions = 0;
  std::string last_error;
};

class SyncView {
 public:
  explicit SyncView(Session& session);
  ~SyncView();
  SyncView(const SyncView&) = delete;
  SyncView& operator=(const SyncView&) = delete;

  Status Load();
  const std::vector<PeerRow>& rows() const { return rows_; }

  // Contacts offered (shequ ui --peer, or typed): `shequ node contact` strings.
  const std::vector<std::string>& contacts() const { return contacts_; }
  // Starts a sync with `contact` on a background thread.
  Status SyncNow(const std::string& contact);
  bool running() const;
  // Each frame: when the sync has ended, its outcome becomes message() and the list reloads.
  void Poll();
  const std::string& message() const { return message_; }
  bool message_error() const { return message_error_; }

 private:
  struct Run;
  Session& session_;
  std::vector<PeerRow> rows_;
  std::vector<std::string> contacts_;
  std::unique_ptr<Run> run_;
  std::string message_;
  bool message_error_ = false;
};

}  // namespace shequ::ui
