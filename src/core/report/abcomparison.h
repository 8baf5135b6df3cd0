#pragma once

#include "stats/statsaggregator.h"

#include <QList>

namespace aimload {

// Model A beside Model B for one group, or for all groups when group is empty.
// Every difference is B minus A; NaN when either side has no requests.
struct AbComparisonRow
{
    QString group;
    StatsRow a;
    StatsRow b;

    static double successRate(const StatsRow& row); // 0..1, NaN without requests
    double successDifference() const; // in rate units: 0.05 is 5 percentage points
    double medianDifferenceMs() const;
    double medianDifferenceRatio() const; // (B - A) / A
    double p95DifferenceMs() const;
    double toolCallsDifference() const;
};

// One row per group of the statistics (in their order), then the row for all groups.
QList<AbComparisonRow> compareModels(const StatsAggregator& stats);

} // namespace aimload
