#include "report/abcomparison.h"

#include <cmath>

namespace aimload {

double AbComparisonRow::successRate(const StatsRow& row)
{
    return row.requests > 0 ? double(row.requests - row.failures) / double(row.requests)
                            : std::nan("");
}

double AbComparisonRow::successDifference() const
{
    return successRate(b) - successRate(a);
}

double AbComparisonRow::medianDifferenceMs() const
{
    return b.medianMs - a.medianMs;
}

double AbComparisonRow::medianDifferenceRatio() const
{
    return a.medianMs > 0.0 ? (b.medianMs - a.medianMs) / a.medianMs : std::nan("");
}

double AbComparisonRow::p95DifferenceMs() const
{
    return b.p95Ms - a.p95Ms;
}

double AbComparisonRow::toolCallsDifference() const
{
    return b.averageToolCalls - a.averageToolCalls;
}

namespace {

// A side without requests, with its latencies unknown as an empty StatsAggregator says.
StatsRow emptyRow(const QString& group, Model model)
{
    StatsRow row;
    row.group = group;
    row.model = model;
    row.medianMs = row.p95Ms = row.p99Ms = row.averageMs = std::nan("");
    row.minMs = row.maxMs = row.averageBytes = row.averageToolCalls = std::nan("");
    return row;
}

} // namespace

QList<AbComparisonRow> compareModels(const StatsAggregator& stats)
{
    QList<AbComparisonRow> comparison;
    const QList<StatsRow> rows = stats.rows();
    for (const StatsRow& row : rows) {
        if (comparison.isEmpty() || comparison.constLast().group != row.group) {
            AbComparisonRow pair;
            pair.group = row.group;
            pair.a = emptyRow(row.group, Model::A);
            pair.b = emptyRow(row.group, Model::B);
            comparison.append(pair);
        }
        (*row.model == Model::A ? comparison.last().a : comparison.last().b) = row;
    }
    comparison.append({QString(), stats.modelTotal(Model::A), stats.modelTotal(Model::B)});
    return comparison;
}

} // namespace aimload
