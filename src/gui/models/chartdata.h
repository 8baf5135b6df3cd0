#pragma once

#include "agent/requestrecord.h"
#include "bucketseries.h"
#include "charttypes.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <deque>

namespace aimload {

class PromptPool;

// What the charts draw, kept at a cost that does not grow with the length of the run:
// finished requests (cancelled ones aside, as in the statistics) summarised in time
// buckets for the last hour, the last day and the whole run, each at most MaxBuckets wide,
// and the latest RecentPoints requests as they were. No widgets here.
class ChartData : public QObject
{
    Q_OBJECT

public:
    static constexpr int MaxBuckets = 200;
    // Up to this many requests of a model in a range are drawn one by one.
    static constexpr int PointLimit = 2000;
    static constexpr int RecentPoints = 20'000;
    static constexpr int FailuresPerBucket = BucketSeries::FailuresKept;

    explicit ChartData(QObject* parent = nullptr);
    ~ChartData() override;

    // The configured group weights and the group order of the charts.
    void setPromptPool(const PromptPool& pool);

    qint64 recordCount() const { return m_recordCount; }
    QStringList groups() const { return m_groups; }

    RequestSeries requests(
        ChartRange range, const QDateTime& now = QDateTime::currentDateTimeUtc()) const;
    LatencySeries latency(Model model, ChartRange range,
        const QDateTime& now = QDateTime::currentDateTimeUtc()) const;
    LatencyHistogram histogram(
        ChartRange range, const QDateTime& now = QDateTime::currentDateTimeUtc()) const;
    // Every group of the pool, then any other seen, with its share of the range's requests.
    QList<GroupShare> groupMix(
        ChartRange range, const QDateTime& now = QDateTime::currentDateTimeUtc()) const;

    // The bucket width for a span: the smallest ladder width giving at most MaxBuckets.
    static qint64 bucketWidthFor(qint64 spanMs);

public Q_SLOTS:
    // Connect to LoadEngine::requestFinished. Unfinished and cancelled records are ignored.
    void add(const aimload::RequestRecord& record);
    void clear();

Q_SIGNALS:
    // At most once per update interval, after records were added.
    void updated();

private:
    struct Recent
    {
        qint64 timeMs = 0;
        float latencyMs = 0.0f;
        Model model = Model::A;
        bool failed = false;
    };

    struct Window
    {
        const BucketSeries* series = nullptr;
        qint64 startMs = 0;
        qint64 bucketMs = 0;
        int count = 0;

        qint64 endMs() const { return startMs + bucketMs * count; }
    };

    Window window(ChartRange range, const QDateTime& now) const;
    int groupIndex(const QString& group);
    QList<LatencyPoint> recentPoints(Model model, const Window& window) const;

    BucketSeries m_hour;
    BucketSeries m_day;
    BucketSeries m_all;
    std::deque<Recent> m_recent;
    QStringList m_groups;
    QHash<QString, int> m_groupIndex;
    QHash<QString, double> m_configuredShare;
    qint64 m_recordCount = 0;
    qint64 m_lastMs = 0;
    QTimer m_notify;
};

} // namespace aimload
