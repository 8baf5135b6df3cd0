#pragma once

#include <QtGlobal>

#include <array>

namespace aimload {

// How late the scheduled cycles started after their grid points t0 + k·pacing, in bins of
// 10 µs up to 20 ms (and the largest delay exactly). Fixed memory, whatever the length of
// the run. Triggered cycles have no grid point and are not added.
class CycleStartDelay
{
public:
    static constexpr double BinWidthMs = 0.01;
    static constexpr qsizetype BinCount = 2000;

    void add(double delayMs);

    qint64 count() const { return m_count; }
    double maxMs() const; // NaN without cycles
    double averageMs() const; // NaN without cycles
    // The delay that a share q of the cycles did not exceed (nearest rank), as the upper
    // edge of its bin and never above the largest delay; NaN without cycles.
    double quantileMs(double q) const;
    qint64 countLaterThan(double ms) const; // exact only at whole bins

private:
    std::array<quint32, BinCount> m_bins {};
    qint64 m_beyond = 0; // later than the last bin
    qint64 m_count = 0;
    double m_sumMs = 0.0;
    double m_maxMs = 0.0;
};

} // namespace aimload
