#include "report/jsonreport.h"

#include "config/duration.h"
#include "report/abcomparison.h"
#include "report/atomicfilewriter.h"
#include "report/reportrecorder.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

QJsonValue number(double value)
{
    return std::isnan(value) || std::isinf(value) ? QJsonValue() : QJsonValue(value);
}

QJsonValue time(const QDateTime& at)
{
    return at.isValid() ? QJsonValue(at.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue();
}

QJsonValue modelValue(std::optional<Model> model)
{
    return model ? QJsonValue(QString(modelLetter(*model))) : QJsonValue();
}

QJsonObject rowObject(const ReportRecorder& recorder, const StatsRow& row)
{
    const LocustRow locust = recorder.locustRow(row);
    QJsonObject percentiles;
    for (std::size_t i = 0; i < LocustPercentiles.size(); ++i)
        percentiles.insert(
            locustPercentileName(LocustPercentiles[i]), number(locust.percentilesMs[i]));

    return {
        {u"group"_s, row.group.isEmpty() ? QJsonValue() : QJsonValue(row.group)},
        {u"model"_s, modelValue(row.model)},
        {u"type"_s, locust.type},
        {u"name"_s, locust.name},
        {u"requests"_s, row.requests},
        {u"failures"_s, row.failures},
        {u"cancelled"_s, row.cancelled},
        {u"failure_rate"_s, number(row.requests > 0 ? row.failureRate() : std::nan(""))},
        {u"latency_ms"_s,
            QJsonObject {{u"min"_s, number(row.minMs)}, {u"median"_s, number(row.medianMs)},
                {u"average"_s, number(row.averageMs)}, {u"max"_s, number(row.maxMs)},
                {u"percentiles"_s, percentiles}}},
        {u"average_bytes"_s, number(row.averageBytes)},
        {u"average_tool_calls"_s, number(row.averageToolCalls)},
    };
}

QJsonObject sideObject(const StatsRow& row)
{
    return {
        {u"requests"_s, row.requests},
        {u"failures"_s, row.failures},
        {u"success_rate"_s, number(AbComparisonRow::successRate(row))},
        {u"median_ms"_s, number(row.medianMs)},
        {u"p95_ms"_s, number(row.p95Ms)},
        {u"average_tool_calls"_s, number(row.averageToolCalls)},
    };
}

QJsonArray comparisonArray(const StatsAggregator& stats)
{
    QJsonArray array;
    const QList<AbComparisonRow> rows = compareModels(stats);
    for (const AbComparisonRow& row : rows) {
        const QJsonObject difference {
            {u"success_rate"_s, number(row.successDifference())},
            {u"median_ms"_s, number(row.medianDifferenceMs())},
            {u"median_ratio"_s, number(row.medianDifferenceRatio())},
            {u"p95_ms"_s, number(row.p95DifferenceMs())},
            {u"average_tool_calls"_s, number(row.toolCallsDifference())},
        };
        array.append(QJsonObject {
            {u"group"_s, row.group.isEmpty() ? QJsonValue() : QJsonValue(row.group)},
            {u"a"_s, sideObject(row.a)},
            {u"b"_s, sideObject(row.b)},
            {u"b_minus_a"_s, difference},
        });
    }
    return array;
}

// How late the scheduled cycles started after t0 + k·pacing: the engine's own clock, to
// 10 µs (the largest exactly).
QJsonObject cycleStartsObject(const CycleStartDelay& delay)
{
    return {
        {u"scheduled"_s, delay.count()},
        {u"delay_ms"_s,
            QJsonObject {{u"median"_s, number(delay.quantileMs(0.5))},
                {u"p99"_s, number(delay.quantileMs(0.99))}, {u"max"_s, number(delay.maxMs())},
                {u"average"_s, number(delay.averageMs())}}},
        {u"later_than_2_ms"_s, delay.countLaterThan(2.0)},
    };
}

QJsonObject runObject(const ReportRecorder& recorder)
{
    const ReportRunInfo& info = recorder.runInfo();
    return {
        {u"started_at"_s, time(info.startedAt)},
        {u"ended_at"_s, time(info.endedAt)},
        {u"end_reason"_s, info.endReason.isEmpty() ? QJsonValue() : QJsonValue(info.endReason)},
        {u"last_request_at"_s, time(recorder.lastRequestAt())},
        {u"agent_url"_s, info.agentUrlText()},
        {u"simulated"_s, info.simulated},
        {u"pacing_seconds"_s, double(info.pacing.count()) / 1000.0},
        {u"pacing"_s, formatDuration(info.pacing)},
        {u"ab_order"_s, info.abOrder == AbOrder::Sequential ? u"sequential"_s : u"parallel"_s},
        {u"users"_s, info.users},
        {u"cycle_limit"_s, info.cycleLimit ? QJsonValue(*info.cycleLimit) : QJsonValue()},
        {u"run_time_limit_seconds"_s,
            info.runTimeLimit ? QJsonValue(double(info.runTimeLimit->count()) / 1000.0)
                              : QJsonValue()},
        {u"seed"_s, QString::number(info.seed)},
        {u"prompt_pool"_s,
            QJsonObject {
                {u"source"_s,
                    info.poolSource.isEmpty() ? QJsonValue() : QJsonValue(info.poolSource)},
                {u"summary"_s, info.poolSummary},
                {u"groups"_s, QJsonArray::fromStringList(info.groups)},
            }},
        {u"aimload_version"_s, QString::fromLatin1(AIMLOAD_VERSION)},
    };
}

} // namespace

QJsonObject JsonReport::toJson(const ReportRecorder& recorder)
{
    const StatsAggregator& stats = recorder.stats();
    const RunCounts& counts = recorder.counts();
    const StatsRow total = stats.total();

    QJsonArray rows;
    const QList<StatsRow> statsRows = stats.rows();
    for (const StatsRow& row : statsRows)
        rows.append(rowObject(recorder, row));
    QJsonArray failures;
    const QList<FailureEntry> failureEntries = recorder.failures();
    for (const FailureEntry& failure : failureEntries) {
        failures.append(QJsonObject {{u"method"_s, failure.method}, {u"name"_s, failure.name},
            {u"group"_s, failure.group}, {u"model"_s, QString(modelLetter(failure.model))},
            {u"error"_s, failure.error}, {u"occurrences"_s, failure.occurrences}});
    }

    return {
        {u"format"_s, u"aimload-report"_s},
        {u"format_version"_s, FormatVersion},
        {u"generated_at"_s, time(QDateTime::currentDateTimeUtc())},
        {u"run"_s, runObject(recorder)},
        {u"counts"_s,
            QJsonObject {
                {u"cycles_completed"_s, counts.cyclesCompleted},
                {u"cycles_triggered"_s, counts.cyclesTriggered},
                {u"cycles_with_failures"_s, counts.cyclesWithFailures},
                {u"slots_skipped"_s, counts.slotsSkipped},
                {u"requests"_s, total.requests},
                {u"failures"_s, total.failures},
                {u"cancelled"_s, counts.requestsCancelled},
            }},
        {u"cycle_starts"_s, cycleStartsObject(recorder.cycleStartDelay())},
        {u"rows"_s, rows},
        {u"models"_s,
            QJsonArray {rowObject(recorder, stats.modelTotal(Model::A)),
                rowObject(recorder, stats.modelTotal(Model::B))}},
        {u"total"_s, rowObject(recorder, total)},
        {u"ab_comparison"_s, comparisonArray(stats)},
        {u"failures"_s, failures},
    };
}

bool JsonReport::write(const QString& path, const ReportRecorder& recorder, QString* error)
{
    return AtomicFileWriter::write(
        path, QJsonDocument(toJson(recorder)).toJson(QJsonDocument::Indented), error);
}

} // namespace aimload
