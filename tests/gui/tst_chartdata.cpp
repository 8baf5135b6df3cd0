#include "models/chartdata.h"
#include "prompts/promptpool.h"
#include "recordfactory.h"

#include <QSignalSpy>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

using namespace Qt::StringLiterals;
using aimload::ChartData;
using aimload::ChartRange;
using aimload::LatencyPoint;
using aimload::LatencySeries;
using aimload::Model;
using aimload::Outcome;
using aimload::RequestBucket;
using aimload::RequestRecord;
using aimload::RequestSeries;

namespace {

constexpr qint64 MinuteMs = 60'000;
constexpr qint64 HourMs = 60 * MinuteMs;
constexpr qint64 DayMs = 24 * HourMs;

RequestRecord record(qint64 startMs, const QString& group, Model model, double latencyMs,
    Outcome outcome = Outcome::Ok)
{
    static quint64 id = 0;
    RequestRecord record;
    record.id = ++id;
    record.group = group;
    record.model = model;
    record.startedAt = QDateTime::fromMSecsSinceEpoch(startMs, Qt::UTC);
    record.latencyMs = latencyMs;
    record.outcome = outcome;
    return record;
}

qint64 baseMs()
{
    return RecordFactory::baseTime().toMSecsSinceEpoch();
}

// One request a minute for a week, A and B in turn, every tenth failed.
QList<RequestRecord> week()
{
    QList<RequestRecord> records;
    std::mt19937_64 rng(7);
    const QStringList groups {u"simple_chat"_s, u"complex_chat"_s, u"mcp_healthy"_s};
    for (qint64 i = 0; i < 7 * 24 * 60; ++i) {
        const double latency = 500.0 + double(rng() % 20'000);
        records.append(record(baseMs() + i * MinuteMs + 7'000, groups.at(i % 3),
            i % 2 ? Model::B : Model::A, latency, i % 10 == 0 ? Outcome::Timeout : Outcome::Ok));
    }
    return records;
}

int sumOf(const RequestSeries& series)
{
    int total = 0;
    for (const RequestBucket& bucket : series.buckets) {
        int perGroup = 0;
        for (const int count : bucket.perGroup)
            perGroup += count;
        if (perGroup != bucket.requests)
            return -1;
        total += bucket.requests;
    }
    return total;
}

bool contiguous(const RequestSeries& series)
{
    for (qsizetype i = 0; i < series.buckets.size(); ++i) {
        const RequestBucket& bucket = series.buckets.at(i);
        if (bucket.endMs - bucket.startMs != series.bucketMs
            || bucket.startMs != series.startMs + i * series.bucketMs)
            return false;
    }
    return series.buckets.isEmpty() || series.buckets.constLast().endMs == series.endMs;
}

double exactMedian(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.at((values.size() + 1) / 2 - 1);
}

} // namespace

class TestChartData : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bucketWidth_data();
    void bucketWidth();
    void weekOfData();
    void hourAndDayRanges();
    void ignoresUnfinishedAndCancelled();
    void latencyPointsWhenFew();
    void latencyDownsampledWhenMany();
    void downsampledMedians();
    void histogram();
    void groupMix();
    void updatedIsCoalesced();
};

void TestChartData::bucketWidth_data()
{
    QTest::addColumn<qint64>("spanMs");
    QTest::addColumn<qint64>("widthMs");

    QTest::newRow("empty") << qint64(0) << qint64(1'000);
    QTest::newRow("fiveMinutes") << 5 * MinuteMs << qint64(2'000);
    QTest::newRow("hour") << HourMs << qint64(30'000);
    QTest::newRow("day") << DayMs << 10 * MinuteMs;
    QTest::newRow("week") << 7 * DayMs << HourMs;
    QTest::newRow("month") << 30 * DayMs << 6 * HourMs;
    QTest::newRow("year") << 365 * DayMs << 2 * DayMs;
}

void TestChartData::bucketWidth()
{
    QFETCH(qint64, spanMs);
    QFETCH(qint64, widthMs);
    QCOMPARE(ChartData::bucketWidthFor(spanMs), widthMs);
    QVERIFY(spanMs / widthMs <= ChartData::MaxBuckets);
}

void TestChartData::weekOfData()
{
    ChartData data;
    const QList<RequestRecord> records = week();
    for (const RequestRecord& r : records)
        data.add(r);
    QCOMPARE(data.recordCount(), records.size());

    const QDateTime now = records.constLast().startedAt.addSecs(30);
    const RequestSeries all = data.requests(ChartRange::All, now);
    QVERIFY2(all.buckets.size() <= ChartData::MaxBuckets,
        qPrintable(QString::number(all.buckets.size())));
    QVERIFY(all.buckets.size() > ChartData::MaxBuckets / 2);
    QCOMPARE(all.bucketMs, HourMs);
    QCOMPARE(sumOf(all), records.size());
    QVERIFY(contiguous(all));
    QVERIFY(all.startMs <= records.constFirst().startedAt.toMSecsSinceEpoch());
    QVERIFY(all.endMs > now.toMSecsSinceEpoch());

    int failures = 0;
    for (const RequestBucket& bucket : all.buckets)
        failures += bucket.failures;
    QCOMPARE(failures, int(records.size() / 10));

    // Asked much later, the range still fits.
    const RequestSeries later = data.requests(ChartRange::All, now.addDays(60));
    QVERIFY(later.buckets.size() <= ChartData::MaxBuckets);
    QCOMPARE(sumOf(later), records.size());
}

void TestChartData::hourAndDayRanges()
{
    ChartData data;
    const QList<RequestRecord> records = week();
    for (const RequestRecord& r : records)
        data.add(r);
    const QDateTime now = records.constLast().startedAt.addSecs(30);

    for (const ChartRange range : {ChartRange::LastHour, ChartRange::LastDay}) {
        const RequestSeries series = data.requests(range, now);
        const bool hour = range == ChartRange::LastHour;
        QCOMPARE(series.bucketMs, hour ? 30'000 : 10 * MinuteMs);
        QCOMPARE(series.buckets.size(), hour ? 120 : 144);
        QVERIFY(contiguous(series));
        QVERIFY(series.endMs > now.toMSecsSinceEpoch());
        QVERIFY(series.endMs - series.startMs >= (hour ? HourMs : DayMs));
        const auto expected
            = std::count_if(records.cbegin(), records.cend(), [&series](const RequestRecord& r) {
                  const qint64 ms = r.startedAt.toMSecsSinceEpoch();
                  return ms >= series.startMs && ms < series.endMs;
              });
        QCOMPARE(sumOf(series), int(expected));
    }
}

void TestChartData::ignoresUnfinishedAndCancelled()
{
    ChartData data;
    data.add(record(baseMs(), u"simple_chat"_s, Model::A, 0, Outcome::Pending));
    data.add(record(baseMs(), u"simple_chat"_s, Model::A, 100, Outcome::Cancelled));
    QCOMPARE(data.recordCount(), 0);
    QVERIFY(data.requests(ChartRange::All).buckets.isEmpty());
    QVERIFY(data.latency(Model::A, ChartRange::All).points.isEmpty());

    data.add(record(baseMs(), u"simple_chat"_s, Model::A, 100, Outcome::HttpError));
    QCOMPARE(data.recordCount(), 1);
}

void TestChartData::latencyPointsWhenFew()
{
    ChartData data;
    const qint64 nowMs = baseMs() + 2 * HourMs;
    QList<double> latencies;
    // Out of order on purpose: requests finish in any order.
    for (int i = 99; i >= 0; --i) {
        const double latency = 1000.0 + i * 10;
        const Outcome outcome = i % 25 == 0 ? Outcome::HttpError : Outcome::Ok;
        data.add(record(nowMs - i * 30'000, u"simple_chat"_s, Model::A, latency, outcome));
        data.add(record(nowMs - i * 30'000, u"simple_chat"_s, Model::B, latency * 2));
    }
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(nowMs + 1000, Qt::UTC);

    const LatencySeries all = data.latency(Model::A, ChartRange::All, now);
    QVERIFY(!all.downsampled);
    QCOMPARE(all.points.size(), 100);
    QCOMPARE(all.failures.size(), 4);
    QVERIFY(std::is_sorted(all.points.cbegin(), all.points.cend(),
        [](const LatencyPoint& a, const LatencyPoint& b) { return a.timeMs < b.timeMs; }));
    QCOMPARE(all.points.constFirst().latencyMs, 1990.0);
    QCOMPARE(all.points.constLast().latencyMs, 1000.0);
    QVERIFY(all.points.constLast().failed);

    // All 100 started within the last 50 minutes.
    const LatencySeries hour = data.latency(Model::B, ChartRange::LastHour, now);
    QVERIFY(!hour.downsampled);
    QCOMPARE(hour.points.size(), 100);
    QCOMPARE(hour.points.constFirst().latencyMs, 3980.0);
}

void TestChartData::latencyDownsampledWhenMany()
{
    ChartData data;
    const QList<RequestRecord> records = week();
    for (const RequestRecord& r : records)
        data.add(r);
    const QDateTime now = records.constLast().startedAt.addSecs(30);

    const LatencySeries series = data.latency(Model::A, ChartRange::All, now);
    QVERIFY(series.downsampled);
    QVERIFY(series.points.size() <= ChartData::MaxBuckets);
    int count = 0;
    for (const LatencyPoint& point : series.points) {
        count += point.count;
        QVERIFY(point.minMs <= point.latencyMs && point.latencyMs <= point.maxMs);
    }
    QCOMPARE(count, records.size() / 2);
    // Every failure (all of them A's, six an hour) fits within the per-bucket limit.
    QCOMPARE(series.failures.size(), int(records.size() / 10));
    for (const LatencyPoint& failure : series.failures)
        QVERIFY(failure.failed && failure.count == 1);

    // The last day at 10-minute buckets: 720 points of A, drawn one by one.
    const LatencySeries day = data.latency(Model::A, ChartRange::LastDay, now);
    QVERIFY(!day.downsampled);
    QCOMPARE(day.points.size(), 720);
}

void TestChartData::downsampledMedians()
{
    ChartData data;
    std::mt19937_64 rng(11);
    // 3000 requests of A in ten minutes: 50 a ten-second bucket, more than are kept exactly.
    QList<QList<double>> perBucket(60);
    const qint64 startMs = baseMs();
    for (int i = 0; i < 3000; ++i) {
        const double latency = 1000.0 + double(rng() % 19'000);
        const qint64 ms = startMs + i * 200;
        perBucket[int(i * 200 / 10'000)].append(latency);
        data.add(record(ms, u"simple_chat"_s, Model::A, latency));
    }
    const QDateTime now = QDateTime::fromMSecsSinceEpoch(startMs + 10 * MinuteMs - 1, Qt::UTC);
    const LatencySeries a = data.latency(Model::A, ChartRange::All, now);
    QVERIFY(a.downsampled);
    QCOMPARE(a.bucketMs, 10'000);
    QCOMPARE(a.points.size(), 60);
    for (qsizetype i = 0; i < a.points.size(); ++i) {
        const double exact = exactMedian(perBucket.at(i));
        const double estimate = a.points.at(i).latencyMs;
        QVERIFY2(std::abs(estimate - exact) / exact < 0.06,
            qPrintable(u"%1 against %2"_s.arg(estimate).arg(exact)));
        QCOMPARE(a.points.at(i).count, 50);
    }

    // Over three hours, 2100 requests make one-minute buckets of about 12: medians exact.
    ChartData sparse;
    QList<QList<double>> perMinute(180);
    for (int i = 0; i < 2100; ++i) {
        const double latency = 1000.0 + double(rng() % 19'000);
        const qint64 offsetMs = qint64(i) * 180 * MinuteMs / 2100;
        perMinute[int(offsetMs / MinuteMs)].append(latency);
        sparse.add(record(startMs + offsetMs, u"simple_chat"_s, Model::B, latency));
    }
    const LatencySeries b = sparse.latency(
        Model::B, ChartRange::All, QDateTime::fromMSecsSinceEpoch(startMs + 3 * HourMs - 1));
    QVERIFY(b.downsampled);
    QCOMPARE(b.bucketMs, MinuteMs);
    QCOMPARE(b.points.size(), 180);
    for (qsizetype i = 0; i < b.points.size(); ++i) {
        QCOMPARE(b.points.at(i).latencyMs, exactMedian(perMinute.at(i)));
        QCOMPARE(b.points.at(i).count, perMinute.at(i).size());
    }
}

void TestChartData::histogram()
{
    ChartData data;
    const QList<double> latencies {100, 850, 1000, 2500, 8200, 130'000};
    for (const double latency : latencies)
        data.add(record(baseMs(), u"simple_chat"_s, Model::A, latency));
    data.add(record(baseMs(), u"simple_chat"_s, Model::B, 850));

    const aimload::LatencyHistogram histogram
        = data.histogram(ChartRange::All, RecordFactory::baseTime().addSecs(60));
    QCOMPARE(histogram.labels.size(), histogram.a.size());
    QCOMPARE(histogram.labels.constFirst(), u"<0.25 s"_s);
    QCOMPARE(histogram.labels.at(2), u"0.5\u20131 s"_s);
    QCOMPARE(histogram.labels.constLast(), u"\u2265120 s"_s);
    QVERIFY(std::isinf(histogram.upperMs.constLast()));
    QCOMPARE(std::accumulate(histogram.a.cbegin(), histogram.a.cend(), 0), latencies.size());
    QCOMPARE(std::accumulate(histogram.b.cbegin(), histogram.b.cend(), 0), 1);
    QCOMPARE(histogram.a.at(0), 1);
    QCOMPARE(histogram.a.at(2), 1); // 850 ms
    QCOMPARE(histogram.a.at(3), 1); // 1000 ms starts the 1-2 s bin
    QCOMPARE(histogram.a.constLast(), 1);
    QCOMPARE(histogram.counts(Model::B).at(2), 1);
}

void TestChartData::groupMix()
{
    QString error;
    const std::optional<aimload::PromptPool> pool
        = aimload::PromptPool::load(aimload::PromptPool::defaultPoolPath(), &error);
    QVERIFY2(pool, qPrintable(error));

    ChartData data;
    data.setPromptPool(*pool);
    const QDateTime now = RecordFactory::baseTime().addSecs(600);
    for (int i = 0; i < 30; ++i)
        data.add(record(baseMs() + i * 1000, u"simple_chat"_s, Model::A, 100));
    for (int i = 0; i < 10; ++i)
        data.add(record(baseMs() + i * 1000, u"not_in_pool"_s, Model::B, 100));

    const QList<aimload::GroupShare> mix = data.groupMix(ChartRange::All, now);
    QCOMPARE(mix.size(), pool->groups().size() + 1);
    double observed = 0.0;
    double configured = 0.0;
    for (qsizetype i = 0; i < pool->groups().size(); ++i) {
        const aimload::PromptGroup& group = pool->groups().at(i);
        QCOMPARE(mix.at(i).group, group.name);
        QCOMPARE(mix.at(i).configured, group.weight / pool->totalWeight());
        observed += mix.at(i).observed;
        configured += mix.at(i).configured;
    }
    QCOMPARE(mix.constLast().group, u"not_in_pool"_s);
    QCOMPARE(mix.constLast().observed, 0.25);
    QCOMPARE(mix.constLast().configured, 0.0);
    QVERIFY(qFuzzyCompare(configured, 1.0));
    QVERIFY(qFuzzyCompare(observed + mix.constLast().observed, 1.0));
    const auto chat = std::find_if(mix.cbegin(), mix.cend(),
        [](const aimload::GroupShare& share) { return share.group == u"simple_chat"_s; });
    QCOMPARE(chat->requests, 30);
    QCOMPARE(chat->observed, 0.75);
}

void TestChartData::updatedIsCoalesced()
{
    ChartData data;
    QSignalSpy updated(&data, &ChartData::updated);
    for (int i = 0; i < 100; ++i)
        data.add(record(baseMs() + i, u"simple_chat"_s, Model::A, 100));
    QCOMPARE(updated.count(), 0);
    QVERIFY(updated.wait(2000));
    QCOMPARE(updated.count(), 1);
}

QTEST_GUILESS_MAIN(TestChartData)
#include "tst_chartdata.moc"
