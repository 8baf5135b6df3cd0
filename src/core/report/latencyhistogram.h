#pragma once

#include <QtGlobal>

#include <array>

namespace aimload {

// How many requests took how long, in bins that are about equally wide on a log scale:
// 1, 1.5, 2, 3, 5 and 7 times each power of ten milliseconds, from 1 ms to 10 000 s, with
// one bin below and one above. Fixed memory, whatever the length of the run.
class LatencyHistogram
{
public:
    static constexpr qsizetype BinCount = 44;

    void add(double latencyMs);
    qint64 count(qsizetype bin) const { return m_counts.at(bin); }
    qint64 total() const { return m_total; }

    static double lowerEdgeMs(qsizetype bin); // 0 for the first bin
    static double upperEdgeMs(qsizetype bin); // infinity for the last bin

private:
    std::array<qint64, BinCount> m_counts {};
    qint64 m_total = 0;
};

} // namespace aimload
