#include "stats/percentiles.h"
#include "stats/statsaggregator.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>

using namespace Qt::StringLiterals;
using aimload::Endpoint;
using aimload::Model;
using aimload::Outcome;
using aimload::Percentiles;
using aimload::RequestRecord;
using aimload::StatsAggregator;
using aimload::StatsRow;

namespace {

QList<double> oneTo(int n)
{
    QList<double> values;
    for (int i = 1; i <= n; ++i)
        values.append(i);
    return values;
}

Percentiles percentilesOf(const QList<double>& values)
{
    Percentiles percentiles;
    for (const double value : values)
        percentiles.add(value);
    return percentiles;
}

// The definition itself: the smallest sample such that at least p% of the samples are
// less than or equal to it. p is given in tenths of a percent so the test is exact.
double bruteForcePercentile(const QList<double>& values, int tenthsOfPercent)
{
    QList<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    for (const double candidate : std::as_const(sorted)) {
        const auto atOrBelow = std::count_if(
            values.cbegin(), values.cend(), [candidate](double v) { return v <= candidate; });
        if (qint64(atOrBelow) * 1000 >= qint64(tenthsOfPercent) * values.size())
            return candidate;
    }
    return std::nan("");
}

RequestRecord record(const QString& group, Model model, Outcome outcome, double latencyMs,
    qint64 bytes = 0, int toolCalls = 0)
{
    RequestRecord record;
    record.group = group;
    record.model = model;
    record.endpoint = toolCalls > 0 ? Endpoint::Repair : Endpoint::Chat;
    record.outcome = outcome;
    record.latencyMs = latencyMs;
    record.responseBytes = bytes;
    record.toolCallCount = toolCalls;
    return record;
}

QString rowName(const StatsRow& row)
{
    return row.group + u'/' + (row.model ? QString(aimload::modelLetter(*row.model)) : u"*"_s);
}

// The cells of the summary line for group and model ("A", "B" or "A+B"), split on blanks.
QStringList tableLine(const QString& table, const QString& group, const QString& model)
{
    const QStringList lines = table.split(u'\n');
    for (const QString& line : lines) {
        const QStringList cells = line.split(u' ', Qt::SkipEmptyParts);
        if (cells.size() > 2 && cells.at(0) == group && cells.at(1) == model)
            return cells;
    }
    return {};
}

} // namespace

class TestStats : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void nearestRank_data();
    void nearestRank();
    void minMaxMean_data();
    void minMaxMean();
    void emptyIsNaN();
    void matchesDefinitionOnRandomData();
    void sortsAgainAfterLaterSamples();

    void rowsInGroupOrder();
    void outcomesCounted_data();
    void outcomesCounted();
    void pendingIgnored();
    void rowStatistics();
    void totals();
    void averagesPerRequest();
    void summaryTable();
    void summaryTableWithoutLatency();
};

void TestStats::nearestRank_data()
{
    QTest::addColumn<QList<double>>("values");
    QTest::addColumn<double>("p");
    QTest::addColumn<double>("expected");

    const QList<double> hundred = oneTo(100);
    QTest::newRow("hundredP0") << hundred << 0.0 << 1.0;
    QTest::newRow("hundredP1") << hundred << 1.0 << 1.0;
    QTest::newRow("hundredP1.5") << hundred << 1.5 << 2.0;
    QTest::newRow("hundredP50") << hundred << 50.0 << 50.0;
    QTest::newRow("hundredP50.1") << hundred << 50.1 << 51.0;
    QTest::newRow("hundredP90") << hundred << 90.0 << 90.0;
    QTest::newRow("hundredP95") << hundred << 95.0 << 95.0;
    QTest::newRow("hundredP99") << hundred << 99.0 << 99.0;
    QTest::newRow("hundredP99.9") << hundred << 99.9 << 100.0;
    QTest::newRow("hundredP100") << hundred << 100.0 << 100.0;
    QTest::newRow("tenP95") << oneTo(10) << 95.0 << 10.0;
    QTest::newRow("tenP90") << oneTo(10) << 90.0 << 9.0;
    QTest::newRow("twentyP95") << oneTo(20) << 95.0 << 19.0;
    QTest::newRow("thousandP99.9") << oneTo(1000) << 99.9 << 999.0;
    QTest::newRow("thousandP99.95") << oneTo(1000) << 99.95 << 1000.0;
    // p * n / 100 lands just above a whole number in floating point for these.
    QTest::newRow("rounding250P64.4") << oneTo(250) << 64.4 << 161.0;
    QTest::newRow("rounding375P8.8") << oneTo(375) << 8.8 << 33.0;
    QTest::newRow("rounding41000P99.9") << oneTo(41'000) << 99.9 << 40'959.0;
    QTest::newRow("oneP0") << QList<double> {7.5} << 0.0 << 7.5;
    QTest::newRow("oneP50") << QList<double> {7.5} << 50.0 << 7.5;
    QTest::newRow("oneP100") << QList<double> {7.5} << 100.0 << 7.5;
    QTest::newRow("twoP0") << QList<double> {10.0, 20.0} << 0.0 << 10.0;
    QTest::newRow("twoP50") << QList<double> {10.0, 20.0} << 50.0 << 10.0;
    QTest::newRow("twoP51") << QList<double> {10.0, 20.0} << 51.0 << 20.0;
    QTest::newRow("twoP99") << QList<double> {10.0, 20.0} << 99.0 << 20.0;
    QTest::newRow("unsortedP20") << QList<double> {5.0, 1.0, 4.0, 2.0, 3.0} << 20.0 << 1.0;
    QTest::newRow("unsortedP21") << QList<double> {5.0, 1.0, 4.0, 2.0, 3.0} << 21.0 << 2.0;
    QTest::newRow("unsortedP50") << QList<double> {5.0, 1.0, 4.0, 2.0, 3.0} << 50.0 << 3.0;
    QTest::newRow("unsortedP80") << QList<double> {5.0, 1.0, 4.0, 2.0, 3.0} << 80.0 << 4.0;
    QTest::newRow("unsortedP100") << QList<double> {5.0, 1.0, 4.0, 2.0, 3.0} << 100.0 << 5.0;
    QTest::newRow("descendingP50") << QList<double> {40.0, 30.0, 20.0, 10.0} << 50.0 << 20.0;
    QTest::newRow("duplicatesP20") << QList<double> {2.0, 1.0, 2.0, 3.0, 2.0} << 20.0 << 1.0;
    QTest::newRow("duplicatesP40") << QList<double> {2.0, 1.0, 2.0, 3.0, 2.0} << 40.0 << 2.0;
    QTest::newRow("duplicatesP80") << QList<double> {2.0, 1.0, 2.0, 3.0, 2.0} << 80.0 << 2.0;
    QTest::newRow("duplicatesP81") << QList<double> {2.0, 1.0, 2.0, 3.0, 2.0} << 81.0 << 3.0;
    QTest::newRow("allEqual") << QList<double> {4.0, 4.0, 4.0} << 99.0 << 4.0;
    QTest::newRow("belowZeroClamped") << oneTo(10) << -5.0 << 1.0;
    QTest::newRow("aboveHundredClamped") << oneTo(10) << 150.0 << 10.0;
}

void TestStats::nearestRank()
{
    QFETCH(QList<double>, values);
    QFETCH(double, p);
    QFETCH(double, expected);

    const Percentiles percentiles = percentilesOf(values);

    QCOMPARE(percentiles.count(), values.size());
    QCOMPARE(percentiles.percentile(p), expected);
}

void TestStats::minMaxMean_data()
{
    QTest::addColumn<QList<double>>("values");
    QTest::addColumn<double>("min");
    QTest::addColumn<double>("max");
    QTest::addColumn<double>("mean");
    QTest::addColumn<double>("median");

    QTest::newRow("one") << QList<double> {8.0} << 8.0 << 8.0 << 8.0 << 8.0;
    QTest::newRow("hundred") << oneTo(100) << 1.0 << 100.0 << 50.5 << 50.0;
    QTest::newRow("unsorted") << QList<double> {300.0, 100.0, 250.0, 150.0} << 100.0 << 300.0
                              << 200.0 << 150.0;
    QTest::newRow("negativeAndZero") << QList<double> {0.0, -2.0, 5.0} << -2.0 << 5.0 << 1.0 << 0.0;
}

void TestStats::minMaxMean()
{
    QFETCH(QList<double>, values);
    QFETCH(double, min);
    QFETCH(double, max);
    QFETCH(double, mean);
    QFETCH(double, median);

    const Percentiles percentiles = percentilesOf(values);

    QCOMPARE(percentiles.min(), min);
    QCOMPARE(percentiles.max(), max);
    QCOMPARE(percentiles.mean(), mean);
    QCOMPARE(percentiles.median(), median);
}

void TestStats::emptyIsNaN()
{
    const Percentiles percentiles;

    QVERIFY(percentiles.isEmpty());
    QCOMPARE(percentiles.count(), 0);
    QVERIFY(std::isnan(percentiles.percentile(50.0)));
    QVERIFY(std::isnan(percentiles.median()));
    QVERIFY(std::isnan(percentiles.min()));
    QVERIFY(std::isnan(percentiles.max()));
    QVERIFY(std::isnan(percentiles.mean()));
}

void TestStats::matchesDefinitionOnRandomData()
{
    std::mt19937 generator(20240612);
    std::uniform_int_distribution<int> size(1, 250);
    // A narrow range makes duplicates common, a wide one makes them rare.
    std::uniform_int_distribution<int> narrow(0, 20);
    std::uniform_real_distribution<double> wide(0.0, 600'000.0);
    for (int run = 0; run < 60; ++run) {
        const int n = size(generator);
        QList<double> values;
        for (int i = 0; i < n; ++i)
            values.append(run % 2 == 0 ? double(narrow(generator)) : wide(generator));
        const Percentiles percentiles = percentilesOf(values);
        for (int tenths = 0; tenths <= 1000; ++tenths) {
            const double p = tenths / 10.0;
            const double expected = bruteForcePercentile(values, tenths);
            if (percentiles.percentile(p) != expected) {
                QFAIL(qPrintable(u"n=%1 p=%2: got %3, the definition gives %4"_s.arg(n)
                                     .arg(p)
                                     .arg(percentiles.percentile(p))
                                     .arg(expected)));
            }
        }
    }
}

// Samples added after a query must be sorted in again before the next one.
void TestStats::sortsAgainAfterLaterSamples()
{
    Percentiles percentiles;
    for (const double value : {50.0, 60.0, 70.0})
        percentiles.add(value);
    QCOMPARE(percentiles.percentile(100.0), 70.0);

    for (const double value : {10.0, 20.0, 30.0})
        percentiles.add(value);

    QCOMPARE(percentiles.min(), 10.0);
    QCOMPARE(percentiles.median(), 30.0);
    QCOMPARE(percentiles.max(), 70.0);
    QCOMPARE(percentiles.mean(), 40.0);
}

void TestStats::rowsInGroupOrder()
{
    StatsAggregator stats;
    stats.setGroupOrder({u"simple_chat"_s, u"tool_repair"_s, u"never_sent"_s});

    stats.add(record(u"tool_repair"_s, Model::B, Outcome::Ok, 10.0));
    stats.add(record(u"unlisted"_s, Model::A, Outcome::Ok, 10.0));
    stats.add(record(u"simple_chat"_s, Model::B, Outcome::Ok, 10.0));
    stats.add(record(u"tool_repair"_s, Model::A, Outcome::Ok, 10.0));
    stats.add(record(u"simple_chat"_s, Model::A, Outcome::Ok, 10.0));

    QStringList names;
    const QList<StatsRow> rows = stats.rows();
    for (const StatsRow& row : rows)
        names.append(rowName(row));
    const QStringList expected {u"simple_chat/a"_s, u"simple_chat/b"_s, u"tool_repair/a"_s,
        u"tool_repair/b"_s, u"unlisted/a"_s};
    QCOMPARE(names, expected);
}

void TestStats::outcomesCounted_data()
{
    QTest::addColumn<Outcome>("outcome");
    QTest::addColumn<qint64>("requests");
    QTest::addColumn<qint64>("failures");
    QTest::addColumn<qint64>("cancelled");

    QTest::newRow("ok") << Outcome::Ok << qint64(1) << qint64(0) << qint64(0);
    QTest::newRow("httpError") << Outcome::HttpError << qint64(1) << qint64(1) << qint64(0);
    QTest::newRow("timeout") << Outcome::Timeout << qint64(1) << qint64(1) << qint64(0);
    QTest::newRow("connectionError")
        << Outcome::ConnectionError << qint64(1) << qint64(1) << qint64(0);
    QTest::newRow("invalidResponse")
        << Outcome::InvalidResponse << qint64(1) << qint64(1) << qint64(0);
    QTest::newRow("agentFailure") << Outcome::AgentFailure << qint64(1) << qint64(1) << qint64(0);
    QTest::newRow("cancelled") << Outcome::Cancelled << qint64(0) << qint64(0) << qint64(1);
}

void TestStats::outcomesCounted()
{
    QFETCH(Outcome, outcome);
    QFETCH(qint64, requests);
    QFETCH(qint64, failures);
    QFETCH(qint64, cancelled);
    StatsAggregator stats;

    stats.add(record(u"g"_s, Model::B, outcome, 1234.0));

    const QList<StatsRow> rows = stats.rows();
    QCOMPARE(rows.size(), 1);
    for (const StatsRow& row : {rows.constFirst(), stats.modelTotal(Model::B), stats.total()}) {
        QCOMPARE(row.requests, requests);
        QCOMPARE(row.failures, failures);
        QCOMPARE(row.cancelled, cancelled);
        QCOMPARE(row.failureRate(), requests > 0 ? double(failures) : 0.0);
        // Latency covers every finished request, failures included, but not cancellations.
        QCOMPARE(std::isnan(row.medianMs), requests == 0);
        if (requests > 0)
            QCOMPARE(row.maxMs, 1234.0);
    }
    QCOMPARE(stats.failures(), failures);
    QCOMPARE(stats.modelTotal(Model::A).requests, 0);
}

void TestStats::pendingIgnored()
{
    StatsAggregator stats;

    stats.add(record(u"g"_s, Model::A, Outcome::Pending, 50.0));

    QCOMPARE(stats.rows().size(), 0);
    QCOMPARE(stats.total().requests, 0);
    QCOMPARE(stats.total().cancelled, 0);
}

void TestStats::rowStatistics()
{
    StatsAggregator stats;
    const double latencies[] = {4000.0, 1000.0, 3000.0, 2000.0};
    for (const double latency : latencies)
        stats.add(record(u"g"_s, Model::A, Outcome::Ok, latency));
    stats.add(record(u"g"_s, Model::A, Outcome::Timeout, 660'000.0));
    stats.add(record(u"g"_s, Model::A, Outcome::Cancelled, 900'000.0));

    const StatsRow row = stats.rows().constFirst();

    QCOMPARE(row.group, u"g"_s);
    QCOMPARE(row.model, std::optional<Model>(Model::A));
    QCOMPARE(row.requests, 5);
    QCOMPARE(row.failures, 1);
    QCOMPARE(row.cancelled, 1);
    QCOMPARE(row.failureRate(), 0.2);
    QCOMPARE(row.medianMs, 3000.0);
    QCOMPARE(row.p95Ms, 660'000.0);
    QCOMPARE(row.p99Ms, 660'000.0);
    QCOMPARE(row.averageMs, 134'000.0);
    QCOMPARE(row.minMs, 1000.0);
    QCOMPARE(row.maxMs, 660'000.0);
}

void TestStats::totals()
{
    StatsAggregator stats;
    stats.setGroupOrder({u"chat"_s, u"repair"_s});
    stats.add(record(u"chat"_s, Model::A, Outcome::Ok, 100.0));
    stats.add(record(u"chat"_s, Model::B, Outcome::HttpError, 200.0));
    stats.add(record(u"repair"_s, Model::A, Outcome::AgentFailure, 300.0));
    stats.add(record(u"repair"_s, Model::B, Outcome::Ok, 400.0));
    stats.add(record(u"repair"_s, Model::B, Outcome::Cancelled, 500.0));

    const StatsRow a = stats.modelTotal(Model::A);
    const StatsRow b = stats.modelTotal(Model::B);
    const StatsRow all = stats.total();

    QCOMPARE(a.group, QString());
    QCOMPARE(a.model, std::optional<Model>(Model::A));
    QCOMPARE(a.requests, 2);
    QCOMPARE(a.failures, 1);
    QCOMPARE(a.cancelled, 0);
    QCOMPARE(a.averageMs, 200.0);
    QCOMPARE(b.model, std::optional<Model>(Model::B));
    QCOMPARE(b.requests, 2);
    QCOMPARE(b.failures, 1);
    QCOMPARE(b.cancelled, 1);
    QCOMPARE(b.maxMs, 400.0);
    QCOMPARE(all.group, QString());
    QCOMPARE(all.model, std::nullopt);
    QCOMPARE(all.requests, 4);
    QCOMPARE(all.failures, 2);
    QCOMPARE(all.cancelled, 1);
    QCOMPARE(all.minMs, 100.0);
    QCOMPARE(all.maxMs, 400.0);
    QCOMPARE(all.medianMs, 200.0);
    QCOMPARE(all.averageMs, 250.0);
    QCOMPARE(stats.failures(), 2);
}

void TestStats::averagesPerRequest()
{
    StatsAggregator stats;
    stats.add(record(u"repair"_s, Model::A, Outcome::Ok, 10.0, 1000, 3));
    stats.add(record(u"repair"_s, Model::A, Outcome::Ok, 10.0, 2000, 1));
    stats.add(record(u"repair"_s, Model::A, Outcome::AgentFailure, 10.0, 600, 2));
    // A cancelled request has neither an answer nor tool calls to average.
    stats.add(record(u"repair"_s, Model::A, Outcome::Cancelled, 10.0, 0, 0));

    const StatsRow row = stats.rows().constFirst();

    QCOMPARE(row.averageBytes, 1200.0);
    QCOMPARE(row.averageToolCalls, 2.0);
    QVERIFY(std::isnan(stats.modelTotal(Model::B).averageBytes));
}

void TestStats::summaryTable()
{
    StatsAggregator stats;
    stats.setGroupOrder({u"simple_chat"_s, u"tool_repair"_s});
    for (const double latency : {1000.0, 2000.0, 3000.0})
        stats.add(record(u"simple_chat"_s, Model::A, Outcome::Ok, latency));
    stats.add(record(u"simple_chat"_s, Model::A, Outcome::HttpError, 4000.0));
    stats.add(record(u"simple_chat"_s, Model::B, Outcome::Ok, 5000.0));
    stats.add(record(u"tool_repair"_s, Model::B, Outcome::Ok, 61'234.4));
    stats.add(record(u"tool_repair"_s, Model::B, Outcome::Cancelled, 1.0));

    const QString table = stats.summaryTable();

    const QStringList header = table.section(u'\n', 0, 0).split(u' ', Qt::SkipEmptyParts);
    QCOMPARE(header.constFirst(), u"Group"_s);
    QCOMPARE(tableLine(table, u"simple_chat"_s, u"A"_s),
        QStringList({u"simple_chat"_s, u"A"_s, u"4"_s, u"1"_s, u"(25.0%)"_s, u"0"_s, u"2000"_s,
            u"4000"_s, u"4000"_s, u"2500"_s, u"1000"_s, u"4000"_s}));
    QCOMPARE(tableLine(table, u"simple_chat"_s, u"B"_s),
        QStringList({u"simple_chat"_s, u"B"_s, u"1"_s, u"0"_s, u"(0.0%)"_s, u"0"_s, u"5000"_s,
            u"5000"_s, u"5000"_s, u"5000"_s, u"5000"_s, u"5000"_s}));
    QCOMPARE(tableLine(table, u"tool_repair"_s, u"B"_s),
        QStringList({u"tool_repair"_s, u"B"_s, u"1"_s, u"0"_s, u"(0.0%)"_s, u"1"_s, u"61234"_s,
            u"61234"_s, u"61234"_s, u"61234"_s, u"61234"_s, u"61234"_s}));
    QCOMPARE(tableLine(table, u"tool_repair"_s, u"A"_s), QStringList());
    QCOMPARE(tableLine(table, u"Aggregated"_s, u"A"_s).mid(2, 4),
        QStringList({u"4"_s, u"1"_s, u"(25.0%)"_s, u"0"_s}));
    QCOMPARE(tableLine(table, u"Aggregated"_s, u"B"_s).mid(2, 4),
        QStringList({u"2"_s, u"0"_s, u"(0.0%)"_s, u"1"_s}));
    QCOMPARE(tableLine(table, u"Aggregated"_s, u"A+B"_s),
        QStringList({u"Aggregated"_s, u"A+B"_s, u"6"_s, u"1"_s, u"(16.7%)"_s, u"1"_s, u"3000"_s,
            u"61234"_s, u"61234"_s, u"12706"_s, u"1000"_s, u"61234"_s}));
    QVERIFY(table.indexOf(u"simple_chat"_s) < table.indexOf(u"tool_repair"_s));
    QVERIFY(table.indexOf(u"tool_repair"_s) < table.indexOf(u"Aggregated"_s));
}

void TestStats::summaryTableWithoutLatency()
{
    StatsAggregator stats;
    stats.add(record(u"only_cancelled"_s, Model::A, Outcome::Cancelled, 5.0));

    const QString table = stats.summaryTable();

    QCOMPARE(tableLine(table, u"only_cancelled"_s, u"A"_s),
        QStringList({u"only_cancelled"_s, u"A"_s, u"0"_s, u"0"_s, u"(0.0%)"_s, u"1"_s, u"-"_s,
            u"-"_s, u"-"_s, u"-"_s, u"-"_s, u"-"_s}));
    QCOMPARE(tableLine(table, u"Aggregated"_s, u"B"_s).mid(2),
        QStringList(
            {u"0"_s, u"0"_s, u"(0.0%)"_s, u"0"_s, u"-"_s, u"-"_s, u"-"_s, u"-"_s, u"-"_s, u"-"_s}));
}

QTEST_GUILESS_MAIN(TestStats)
#include "tst_stats.moc"
