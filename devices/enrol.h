// What the terminal does with device reads: a fingerprint enrolled on a person with the
// duplicate-registration check, and an ID card read stored on a person. Everything is committed
// through Node::Commit with tool=terminal and the device's serial (the scanner's serial, the
// reader's SAM id) as the change's device, so the assessment can tell device data from typed data.
//
// This is service-level logic (it opens write transactions on a Node); the drivers, codecs and
// the matcher below it in devices/ know nothing of nodes.
#pragma once

#include <string>
#include <vector>

#include "devices/finger_scanner.h"
#include "devices/id_text.h"
#include "devices/matcher.h"
#include "node/base/time.h"
#include "node/service/node.h"

namespace shequ::devices {

struct EnrolOptions {
  std::string op;               // operator; empty = the node's name
  Date today;                   // for validation
  uint8_t finger_position = 0;  // ISO position asked of the scanner; 0 unknown
  int capture_timeout_ms = 10000;
  size_t min_minutiae = 12;  // fewer is refused as a poor capture
  MatchOptions match;
};

struct DuplicateHit {
  crdt::EntityRef person;
  std::string name, id_number;
  MatchResult match;
  bool marked = false;  // duplicate_of written on this person (false: it already names another)
};

struct EnrolResult {
  std::string scanner_serial;
  std::string fingerprint;  // base64 as stored
  size_t minutiae = 0;
  size_t compared = 0;                   // other persons' fingerprints compared
  std::vector<DuplicateHit> duplicates;  // best first
  Id32 change{};                         // the change storing the fingerprint
};

// Stores `record` (an ISO/IEC 19794-2 record) as the person's fingerprint and compares it with
// every other fingerprint this replica holds. A match with a person whose ID number differs (or
// either has none) puts both into the review queue: the new person's duplicate_of names the best
// match, and each matched person whose duplicate_of is empty gets the new person's id. All in one
// write transaction. InvalidArgument for a record that is not a usable template.
Result<EnrolResult> EnrolFingerprint(service::Node& node, const crdt::EntityRef& person,
                                     ByteView record, const std::string& scanner_serial,
                                     const EnrolOptions& options);

// Asks the scanner who it is, captures one finger and enrols it.
Result<EnrolResult> CaptureAndEnrol(service::Node& node, FingerScanner& scanner,
                                    const crdt::EntityRef& person, const EnrolOptions& options);

// An ID card read written onto a person: the fields it maps (id_text.h) that differ from what the
// terminal last recorded, validated as part of the person's household card the way
// service::EditPerson validates an edit (an edit that would add an error is refused, nothing is
// written). An expired card is stored with a card_expired note.
struct IdStoreResult {
  std::vector<model::Problem> problems;  // errors (refused) or new warnings (stored)
  bool stored = false;
  size_t fields = 0;  // fields written
  Id32 change{};
};
Result<IdStoreResult> StoreIdCardRead(service::Node& node, const crdt::EntityRef& person,
                                      const IdCardRead& read, const std::string& op, Date today);

}  // namespace shequ::devices
