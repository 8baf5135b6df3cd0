#include "report/latencyhistogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aimload {

namespace {

// The inner edges: 1, 1.5, 2, 3, 5, 7, 10, 15, ... 7e6, 1e7 ms.
const std::array<double, LatencyHistogram::BinCount - 1>& edges()
{
    static const auto values = [] {
        std::array<double, LatencyHistogram::BinCount - 1> result {};
        const double steps[] = {1.0, 1.5, 2.0, 3.0, 5.0, 7.0};
        qsizetype i = 0;
        for (int decade = 0; decade < 7; ++decade) {
            for (const double step : steps)
                result[i++] = step * std::pow(10.0, decade);
        }
        result[i] = 1e7;
        return result;
    }();
    return values;
}

} // namespace

void LatencyHistogram::add(double latencyMs)
{
    if (std::isnan(latencyMs))
        return;
    const auto& inner = edges();
    const auto bin = std::upper_bound(inner.cbegin(), inner.cend(), latencyMs) - inner.cbegin();
    ++m_counts[bin];
    ++m_total;
}

double LatencyHistogram::lowerEdgeMs(qsizetype bin)
{
    return bin <= 0 ? 0.0 : edges().at(std::min(bin, BinCount - 1) - 1);
}

double LatencyHistogram::upperEdgeMs(qsizetype bin)
{
    return bin >= BinCount - 1 ? std::numeric_limits<double>::infinity()
                               : edges().at(std::max<qsizetype>(bin, 0));
}

} // namespace aimload
