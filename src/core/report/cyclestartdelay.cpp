#include "report/cyclestartdelay.h"

#include <algorithm>
#include <cmath>

namespace aimload {

void CycleStartDelay::add(double delayMs)
{
    if (std::isnan(delayMs))
        return;
    // A timer never fires early; a negative value can only be the clock's rounding.
    delayMs = std::max(delayMs, 0.0);
    const auto bin = qsizetype(delayMs / BinWidthMs);
    if (bin < BinCount)
        ++m_bins[std::size_t(bin)];
    else
        ++m_beyond;
    ++m_count;
    m_sumMs += delayMs;
    m_maxMs = std::max(m_maxMs, delayMs);
}

double CycleStartDelay::maxMs() const
{
    return m_count > 0 ? m_maxMs : std::nan("");
}

double CycleStartDelay::averageMs() const
{
    return m_count > 0 ? m_sumMs / double(m_count) : std::nan("");
}

double CycleStartDelay::quantileMs(double q) const
{
    if (m_count == 0)
        return std::nan("");
    const auto rank = std::max<qint64>(1, qint64(std::ceil(std::clamp(q, 0.0, 1.0) * m_count)));
    qint64 seen = 0;
    for (qsizetype bin = 0; bin < BinCount; ++bin) {
        seen += m_bins[std::size_t(bin)];
        if (seen >= rank)
            return std::min(double(bin + 1) * BinWidthMs, m_maxMs);
    }
    return m_maxMs;
}

qint64 CycleStartDelay::countLaterThan(double ms) const
{
    const auto first = qsizetype(std::ceil(ms / BinWidthMs - 1e-9));
    qint64 later = m_beyond;
    for (qsizetype bin = std::max<qsizetype>(first, 0); bin < BinCount; ++bin)
        later += m_bins[std::size_t(bin)];
    return later;
}

} // namespace aimload
