#pragma once

#include <QString>

#include <chrono>
#include <optional>

namespace aimload {

// Durations as presenters type them: "720", "12.5" (seconds), "500ms", "90s", "12m",
// "1h30m", "2d". Negative values and unknown units are refused.
std::optional<std::chrono::milliseconds> parseDuration(const QString& text);

// An exact spelling that parseDuration() reads back: "12m", "1h30m", "2.5s", "1m30s".
QString formatDuration(std::chrono::milliseconds duration);

// Seconds with one decimal for log lines: "8.2s", "0.0s".
QString formatSeconds(double seconds);

} // namespace aimload
