#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace berth {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kNotFound: return "not found";
    case Code::kAlreadyExists: return "already exists";
    case Code::kFailedPrecondition: return "failed precondition";
    case Code::kUnavailable: return "unavailable";
    case Code::kDeadlineExceeded: return "deadline exceeded";
    case Code::kCancelled: return "cancelled";
    case Code::kPermissionDenied: return "permission denied";
    case Code::kIo: return "i/o error";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

Status Status::WithContext(const std::string& context) const {
  // Said once: a status already carrying this context (a lower layer used
  // the same words) is not wrapped again ("start machine 'x': start machine
  // 'x': ...").
  if (ok() || message_.rfind(context + ": ", 0) == 0) return *this;
  return Status(code_, context + ": " + message_);
}

Status ErrnoStatus(const std::string& action, int err) {
  Code code = Code::kIo;
  switch (err) {
    case ENOENT: code = Code::kNotFound; break;
    case EEXIST: code = Code::kAlreadyExists; break;
    case EACCES:
    case EPERM: code = Code::kPermissionDenied; break;
    case EINVAL: code = Code::kInvalidArgument; break;
    case ETIMEDOUT: code = Code::kDeadlineExceeded; break;
    case ECONNREFUSED:
    case EAGAIN: code = Code::kUnavailable; break;
    case EINTR: code = Code::kCancelled; break;
    default: break;
  }
  return Status(code, action + ": " + std::strerror(err));
}

}  // namespace berth
