#include "chartdata.h"

#include "prompts/promptpool.h"

#include <algorithm>
#include <cmath>

namespace aimload {

namespace {

constexpr qint64 HourMs = 3'600'000;
constexpr qint64 DayMs = 24 * HourMs;
constexpr int NotifyIntervalMs = 250;

// How many buckets of widthMs it takes to cover spanMs.
int bucketsFor(qint64 spanMs, qint64 widthMs)
{
    return int((spanMs + widthMs - 1) / widthMs);
}

qint64 alignDown(qint64 ms, qint64 widthMs)
{
    const qint64 rest = ms % widthMs;
    return rest < 0 ? ms - rest - widthMs : ms - rest;
}

QString seconds(double ms)
{
    return QString::number(ms / 1000.0);
}

} // namespace

ChartData::ChartData(QObject* parent)
    : QObject(parent)
    , m_hour(BucketSeries::Mode::Sliding, bucketWidthFor(HourMs),
          bucketsFor(HourMs, bucketWidthFor(HourMs)) + 1)
    , m_day(BucketSeries::Mode::Sliding, bucketWidthFor(DayMs),
          bucketsFor(DayMs, bucketWidthFor(DayMs)) + 1)
    , m_all(BucketSeries::Mode::Growing, BucketSeries::ladderWidth(10'000), MaxBuckets)
{
    m_notify.setSingleShot(true);
    m_notify.setInterval(NotifyIntervalMs);
    connect(&m_notify, &QTimer::timeout, this, &ChartData::updated);
}

ChartData::~ChartData() = default;

qint64 ChartData::bucketWidthFor(qint64 spanMs)
{
    return BucketSeries::ladderWidth((spanMs + MaxBuckets - 1) / MaxBuckets);
}

void ChartData::setPromptPool(const PromptPool& pool)
{
    m_configuredShare.clear();
    const double total = pool.totalWeight();
    for (const PromptGroup& group : pool.groups()) {
        groupIndex(group.name);
        m_configuredShare.insert(group.name, total > 0.0 ? group.weight / total : 0.0);
    }
}

int ChartData::groupIndex(const QString& group)
{
    const auto it = m_groupIndex.constFind(group);
    if (it != m_groupIndex.cend())
        return it.value();
    m_groups.append(group);
    m_groupIndex.insert(group, int(m_groups.size()) - 1);
    return int(m_groups.size()) - 1;
}

void ChartData::add(const RequestRecord& record)
{
    if (!record.finished() || record.outcome == Outcome::Cancelled)
        return;

    const qint64 timeMs = record.startedAt.isValid() ? record.startedAt.toMSecsSinceEpoch()
                                                     : QDateTime::currentMSecsSinceEpoch();
    const int group = groupIndex(record.group);
    const bool failed = isFailure(record.outcome);
    for (BucketSeries* series : {&m_hour, &m_day, &m_all})
        series->add(timeMs, group, record.model, record.latencyMs, failed);

    m_recent.push_back({timeMs, float(record.latencyMs), record.model, failed});
    if (m_recent.size() > size_t(RecentPoints))
        m_recent.pop_front();
    m_lastMs = m_recordCount == 0 ? timeMs : std::max(m_lastMs, timeMs);
    ++m_recordCount;

    if (!m_notify.isActive())
        m_notify.start();
}

void ChartData::clear()
{
    m_hour.clear();
    m_day.clear();
    m_all.clear();
    m_recent.clear();
    m_recordCount = 0;
    m_lastMs = 0;
    Q_EMIT updated();
}

ChartData::Window ChartData::window(ChartRange range, const QDateTime& now) const
{
    const qint64 nowMs = now.toMSecsSinceEpoch();
    Window window;
    if (range != ChartRange::All) {
        const qint64 spanMs = range == ChartRange::LastHour ? HourMs : DayMs;
        window.series = range == ChartRange::LastHour ? &m_hour : &m_day;
        window.bucketMs = window.series->widthMs();
        window.count = bucketsFor(spanMs, window.bucketMs);
        window.startMs = alignDown(nowMs, window.bucketMs) - window.bucketMs * (window.count - 1);
        return window;
    }

    window.series = &m_all;
    if (m_all.isEmpty())
        return window;
    const qint64 firstMs = m_all.firstStartMs();
    const qint64 lastMs = std::max(nowMs, m_lastMs);
    qint64 width = m_all.widthMs();
    while ((alignDown(lastMs, width) - alignDown(firstMs, width)) / width + 1 > MaxBuckets)
        width = BucketSeries::ladderWidth(width + 1);
    window.bucketMs = width;
    window.startMs = alignDown(firstMs, width);
    window.count = int((alignDown(lastMs, width) - window.startMs) / width + 1);
    return window;
}

RequestSeries ChartData::requests(ChartRange range, const QDateTime& now) const
{
    const Window w = window(range, now);
    RequestSeries series;
    series.startMs = w.startMs;
    series.endMs = w.endMs();
    series.bucketMs = w.bucketMs;
    series.groups = m_groups;

    const std::vector<BucketSeries::Bucket> buckets
        = w.series->window(w.startMs, w.bucketMs, w.count);
    series.buckets.reserve(qsizetype(buckets.size()));
    for (size_t i = 0; i < buckets.size(); ++i) {
        const BucketSeries::Bucket& bucket = buckets[i];
        RequestBucket out;
        out.startMs = w.startMs + qint64(i) * w.bucketMs;
        out.endMs = out.startMs + w.bucketMs;
        out.perGroup = bucket.perGroup;
        out.perGroup.resize(m_groups.size());
        out.requests = bucket.requests();
        out.failures = bucket.models[0].failures + bucket.models[1].failures;
        series.buckets.append(out);
    }
    return series;
}

QList<LatencyPoint> ChartData::recentPoints(Model model, const Window& window) const
{
    QList<LatencyPoint> points;
    const qint64 endMs = window.endMs();
    for (const Recent& recent : m_recent) {
        if (recent.model != model || recent.timeMs < window.startMs || recent.timeMs >= endMs)
            continue;
        const double latency = recent.latencyMs;
        points.append({recent.timeMs, latency, latency, latency, 1, recent.failed});
    }
    std::stable_sort(points.begin(), points.end(),
        [](const LatencyPoint& a, const LatencyPoint& b) { return a.timeMs < b.timeMs; });
    return points;
}

LatencySeries ChartData::latency(Model model, ChartRange range, const QDateTime& now) const
{
    const Window w = window(range, now);
    LatencySeries series;
    series.model = model;
    series.startMs = w.startMs;
    series.endMs = w.endMs();
    series.bucketMs = w.bucketMs;

    const std::vector<BucketSeries::Bucket> buckets
        = w.series->window(w.startMs, w.bucketMs, w.count);
    const size_t m = model == Model::A ? 0 : 1;
    qint64 inRange = 0;
    for (const BucketSeries::Bucket& bucket : buckets)
        inRange += bucket.models[m].count;

    // Drawn one by one only if every request of the range is still among the recent ones.
    if (inRange <= PointLimit) {
        const QList<LatencyPoint> points = recentPoints(model, w);
        if (points.size() == inRange) {
            series.points = points;
            for (const LatencyPoint& point : points) {
                if (point.failed)
                    series.failures.append(point);
            }
            return series;
        }
    }

    series.downsampled = true;
    for (size_t i = 0; i < buckets.size(); ++i) {
        const BucketSeries::LatencySummary& summary = buckets[i].models[m];
        if (summary.count == 0)
            continue;
        const qint64 middleMs = w.startMs + qint64(i) * w.bucketMs + w.bucketMs / 2;
        series.points.append({middleMs, summary.median(), summary.minMs, summary.maxMs,
            summary.count, summary.failures > 0});
        series.failures.append(summary.failed);
    }
    return series;
}

LatencyHistogram ChartData::histogram(ChartRange range, const QDateTime& now) const
{
    const Window w = window(range, now);
    LatencyHistogram histogram;
    double lowerMs = 0.0;
    for (int bin = 0; bin < BucketSeries::HistogramBins; ++bin) {
        const double upperMs = BucketSeries::histogramUpperMs(bin);
        histogram.upperMs.append(upperMs);
        if (bin == 0)
            histogram.labels.append(tr("<%1 s").arg(seconds(upperMs)));
        else if (std::isinf(upperMs))
            histogram.labels.append(tr("\u2265%1 s").arg(seconds(lowerMs)));
        else
            histogram.labels.append(tr("%1\u2013%2 s").arg(seconds(lowerMs), seconds(upperMs)));
        lowerMs = upperMs;
    }
    histogram.a.fill(0, BucketSeries::HistogramBins);
    histogram.b.fill(0, BucketSeries::HistogramBins);

    const std::vector<BucketSeries::Bucket> buckets
        = w.series->window(w.startMs, w.bucketMs, w.count);
    for (const BucketSeries::Bucket& bucket : buckets) {
        for (int bin = 0; bin < BucketSeries::HistogramBins; ++bin) {
            histogram.a[bin] += bucket.models[0].histogram[size_t(bin)];
            histogram.b[bin] += bucket.models[1].histogram[size_t(bin)];
        }
    }
    return histogram;
}

QList<GroupShare> ChartData::groupMix(ChartRange range, const QDateTime& now) const
{
    const RequestSeries series = requests(range, now);
    QList<int> counts(m_groups.size(), 0);
    int total = 0;
    for (const RequestBucket& bucket : series.buckets) {
        for (qsizetype i = 0; i < bucket.perGroup.size(); ++i)
            counts[i] += bucket.perGroup.at(i);
        total += bucket.requests;
    }

    QList<GroupShare> mix;
    for (qsizetype i = 0; i < m_groups.size(); ++i) {
        const QString& group = m_groups.at(i);
        if (counts.at(i) == 0 && !m_configuredShare.contains(group))
            continue;
        mix.append({group, counts.at(i), total > 0 ? double(counts.at(i)) / double(total) : 0.0,
            m_configuredShare.value(group, 0.0)});
    }
    return mix;
}

} // namespace aimload
