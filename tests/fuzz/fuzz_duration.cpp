// parseDuration() on arbitrary text: it never yields a negative duration, and what
// formatDuration() writes for any duration it yields reads back to the same value.

#include "config/duration.h"
#include "fuzzcheck.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char*>(data), qsizetype(size));
    const std::optional<std::chrono::milliseconds> duration = aimload::parseDuration(text);
    if (!duration)
        return 0;

    FUZZ_CHECK(duration->count() >= 0);
    const QString spelled = aimload::formatDuration(*duration);
    const std::optional<std::chrono::milliseconds> again = aimload::parseDuration(spelled);
    if (!again || *again != *duration)
        std::fprintf(stderr, "%lld ms is spelled \"%s\", which reads back as %lld\n",
            static_cast<long long>(duration->count()), qPrintable(spelled),
            again ? static_cast<long long>(again->count()) : -1LL);
    FUZZ_CHECK(again && *again == *duration);
    FUZZ_CHECK(!aimload::formatSeconds(double(duration->count()) / 1000.0).isEmpty());
    return 0;
}
