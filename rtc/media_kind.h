#ifndef SWITCHYARD_RTC_MEDIA_KIND_H_
#define SWITCHYARD_RTC_MEDIA_KIND_H_

#include <string_view>

namespace switchyard::rtc {

enum class MediaKind { kAudio, kVideo, kApplication };

inline std::string_view MediaKindName(MediaKind kind) {
  switch (kind) {
    case MediaKind::kAudio: return "audio";
    case MediaKind::kVideo: return "video";
    case MediaKind::kApplication: return "application";
  }
  return "unknown";
}

}  // namespace switchyard::rtc

#endif  // SWITCHYARD_RTC_MEDIA_KIND_H_
