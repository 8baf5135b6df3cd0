#include "storage/runstats.h"

#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcRunStats, "aimload.journal.stats", QtWarningMsg)

namespace aimload {

namespace {

// What SQL sums per group and model; the totals add these up.
struct Sums
{
    enum class Level
    {
        Bucket, // one group and model
        Model,
        All
    };

    Level level = Level::Bucket;
    QString group;
    std::optional<Model> model;
    qint64 requests = 0;
    qint64 failures = 0;
    qint64 cancelled = 0;
    qint64 bytes = 0;
    qint64 toolCalls = 0;
    double latencySum = 0.0;
    double minMs = std::numeric_limits<double>::infinity();
    double maxMs = -std::numeric_limits<double>::infinity();
    qint64 firstId = std::numeric_limits<qint64>::max();

    void add(const Sums& other)
    {
        requests += other.requests;
        failures += other.failures;
        cancelled += other.cancelled;
        bytes += other.bytes;
        toolCalls += other.toolCalls;
        latencySum += other.latencySum;
        minMs = std::min(minMs, other.minMs);
        maxMs = std::max(maxMs, other.maxMs);
        firstId = std::min(firstId, other.firstId);
    }
};

QString modelText(Model model)
{
    return QString(modelLetter(model).toUpper());
}

// The latencies a row's percentiles come from, as a WHERE clause and its values.
struct Selection
{
    QString where;
    QVariantList values;
};

Selection selectionOf(qint64 runId, const Sums& sums)
{
    switch (sums.level) {
    case Sums::Level::All:
        return {u"run_id = ? AND in_stats = 1"_s, {runId}};
    case Sums::Level::Model:
        return {u"run_id = ? AND model = ? AND in_stats = 1"_s, {runId, modelText(*sums.model)}};
    case Sums::Level::Bucket:
        break;
    }
    return {u"run_id = ? AND grp = ? AND model = ? AND in_stats = 1"_s,
        {runId, sums.group, modelText(*sums.model)}};
}

// The nearest-rank percentile exactly as Percentiles computes it. The index hands SQLite
// the latencies in order and OFFSET steps through them one by one, so the walk starts
// from whichever end is nearer.
double percentile(const QSqlDatabase& db, const Selection& selection, qint64 n, double p)
{
    if (n <= 0)
        return std::nan("");
    const auto rank = qint64(std::ceil(std::clamp(p, 0.0, 100.0) * double(n) / 100.0 - 1e-9));
    const qint64 index = std::clamp<qint64>(rank - 1, 0, n - 1);
    const bool fromTop = index >= n / 2;

    QSqlQuery query(db);
    query.setForwardOnly(true);
    query.prepare(u"SELECT latency_ms FROM requests WHERE %1 ORDER BY latency_ms %2 "
                  "LIMIT 1 OFFSET ?"_s.arg(selection.where, fromTop ? u"DESC"_s : u"ASC"_s));
    for (const QVariant& value : selection.values)
        query.addBindValue(value);
    query.addBindValue(fromTop ? n - 1 - index : index);
    if (query.exec() && query.next())
        return query.value(0).toDouble();
    qCWarning(lcRunStats) << "percentile query failed:" << query.lastError().text();
    return std::nan("");
}

StatsRow statsRow(const QSqlDatabase& db, qint64 runId, const Sums& sums)
{
    const auto perRequest = [&sums](double total) {
        return sums.requests > 0 ? total / double(sums.requests) : std::nan("");
    };
    const Selection selection = selectionOf(runId, sums);
    StatsRow row;
    row.group = sums.group;
    row.model = sums.model;
    row.requests = sums.requests;
    row.failures = sums.failures;
    row.cancelled = sums.cancelled;
    row.medianMs = percentile(db, selection, sums.requests, 50.0);
    row.p95Ms = percentile(db, selection, sums.requests, 95.0);
    row.p99Ms = percentile(db, selection, sums.requests, 99.0);
    row.averageMs = perRequest(sums.latencySum);
    row.minMs = sums.requests > 0 ? sums.minMs : std::nan("");
    row.maxMs = sums.requests > 0 ? sums.maxMs : std::nan("");
    row.averageBytes = perRequest(double(sums.bytes));
    row.averageToolCalls = perRequest(double(sums.toolCalls));
    return row;
}

// One entry per group and model that has a finished request, from the running sums.
QList<Sums> bucketSums(const QSqlDatabase& db, qint64 runId)
{
    QSqlQuery query(db);
    query.setForwardOnly(true);
    query.prepare(u"SELECT grp, model, requests, failures, cancelled, latency_sum, "
                  "latency_min, latency_max, bytes, tool_calls, first_id "
                  "FROM request_totals WHERE run_id = ?"_s);
    query.addBindValue(runId);
    QList<Sums> buckets;
    if (!query.exec()) {
        qCWarning(lcRunStats) << "statistics query failed:" << query.lastError().text();
        return buckets;
    }
    while (query.next()) {
        Sums sums;
        sums.group = query.value(0).toString();
        sums.model = query.value(1).toString() == u"B"_s ? Model::B : Model::A;
        sums.requests = query.value(2).toLongLong();
        sums.failures = query.value(3).toLongLong();
        sums.cancelled = query.value(4).toLongLong();
        if (sums.requests == 0 && sums.cancelled == 0)
            continue; // only requests that never finished: the statistics ignore those
        if (sums.requests > 0) {
            sums.latencySum = query.value(5).toDouble();
            sums.minMs = query.value(6).toDouble();
            sums.maxMs = query.value(7).toDouble();
        }
        sums.bytes = query.value(8).toLongLong();
        sums.toolCalls = query.value(9).toLongLong();
        sums.firstId = query.value(10).toLongLong();
        buckets.append(sums);
    }
    return buckets;
}

QStringList groupsInOrder(const QList<Sums>& buckets, const QStringList& groupOrder)
{
    QList<std::pair<qint64, QString>> others;
    for (const Sums& sums : buckets) {
        if (groupOrder.contains(sums.group))
            continue;
        const auto known = std::find_if(
            others.begin(), others.end(), [&sums](const std::pair<qint64, QString>& other) {
                return other.second == sums.group;
            });
        if (known == others.end())
            others.append({sums.firstId, sums.group});
        else
            known->first = std::min(known->first, sums.firstId);
    }
    std::sort(others.begin(), others.end());
    QStringList groups = groupOrder;
    for (const auto& other : std::as_const(others))
        groups.append(other.second);
    return groups;
}

} // namespace

QList<StatsRow> queryRunStats(const QSqlDatabase& db, qint64 runId, const QStringList& groupOrder)
{
    const QList<Sums> buckets = bucketSums(db, runId);
    Sums modelTotals[2];
    Sums total;
    modelTotals[0].level = modelTotals[1].level = Sums::Level::Model;
    modelTotals[0].model = Model::A;
    modelTotals[1].model = Model::B;
    total.level = Sums::Level::All;

    QList<StatsRow> rows;
    const QStringList groups = groupsInOrder(buckets, groupOrder);
    for (const QString& group : groups) {
        for (const Model model : {Model::A, Model::B}) {
            for (const Sums& sums : buckets) {
                if (sums.group != group || sums.model != model)
                    continue;
                rows.append(statsRow(db, runId, sums));
                modelTotals[model == Model::A ? 0 : 1].add(sums);
                total.add(sums);
            }
        }
    }
    rows.append(statsRow(db, runId, modelTotals[0]));
    rows.append(statsRow(db, runId, modelTotals[1]));
    rows.append(statsRow(db, runId, total));
    return rows;
}

} // namespace aimload
