#pragma once

#include "agent/requestrecord.h"
#include "stats/percentiles.h"

#include <QHash>
#include <QList>
#include <QObject>

#include <optional>

namespace aimload {

struct StatsRow
{
    QString group; // empty for the per-model and overall totals
    std::optional<Model> model; // empty for the overall total
    qint64 requests = 0; // finished, not cancelled
    qint64 failures = 0;
    qint64 cancelled = 0;
    double medianMs = 0.0;
    double p95Ms = 0.0;
    double p99Ms = 0.0;
    double averageMs = 0.0;
    double minMs = 0.0;
    double maxMs = 0.0;
    double averageBytes = 0.0;
    double averageToolCalls = 0.0;

    double failureRate() const { return requests > 0 ? double(failures) / double(requests) : 0.0; }
};

// Aggregates finished requests per group and model. Latency statistics cover every
// finished request that got as far as an outcome other than cancelled, failures included,
// as Locust counts them.
class StatsAggregator : public QObject
{
    Q_OBJECT

public:
    explicit StatsAggregator(QObject* parent = nullptr);

    void setGroupOrder(const QStringList& groups);
    void add(const RequestRecord& record);

    QList<StatsRow> rows() const; // group x model, in group order, A before B
    StatsRow modelTotal(Model model) const;
    StatsRow total() const;
    qint64 failures() const { return m_total.failures; }
    // Any percentile of one row of rows(), modelTotal() or total(), by the same rule as
    // Percentiles::percentile(); NaN when that row has no requests.
    double percentile(const StatsRow& row, double p) const;

    // A fixed-width text table for a terminal.
    QString summaryTable() const;

private:
    struct Bucket
    {
        qint64 requests = 0;
        qint64 failures = 0;
        qint64 cancelled = 0;
        qint64 bytes = 0;
        qint64 toolCalls = 0;
        Percentiles latency;

        void add(const RequestRecord& record);
        StatsRow row(const QString& group, std::optional<Model> model) const;
    };

    static QString key(const QString& group, Model model);

    QStringList m_groupOrder;
    QHash<QString, Bucket> m_buckets;
    Bucket m_modelTotals[2];
    Bucket m_total;
};

} // namespace aimload
