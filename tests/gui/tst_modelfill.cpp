#include "models/chartdata.h"
#include "models/failuresmodel.h"
#include "models/requestfiltermodel.h"
#include "models/requesttablemodel.h"
#include "recordfactory.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTest>

#include <random>

using namespace Qt::StringLiterals;
using aimload::Model;
using aimload::Outcome;
using aimload::RequestFilterModel;
using aimload::RequestRecord;
using aimload::RequestTableModel;

namespace {

constexpr int Records = 100'000;
constexpr int PerTick = 100;
constexpr int TypicalTicks = 100;

// Resident memory of this process in KiB, from /proc (Linux only; 0 elsewhere).
qint64 residentKiB()
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return 0;
}

// A realistic answer: a couple of kilobytes of JSON with tool calls.
QByteArray answerBody(std::mt19937_64& rng)
{
    QByteArray text = "The gateway was restarted and answers again. ";
    text = text.repeated(int(20 + rng() % 30));
    return R"({"response":")" + text + R"(","model":"gpt-4o-mini","tool_calls":[)"
        + R"({"name":"system_health"},{"name":"service_restart"}],"latency_seconds":8.1})";
}

QList<RequestRecord> requests(int count)
{
    std::mt19937_64 rng(3);
    RecordFactory factory;
    const QStringList groups {u"simple_chat"_s, u"complex_chat"_s, u"mcp_healthy"_s,
        u"mcp_degraded"_s, u"error_scenarios"_s, u"boundary_testing"_s, u"abusive_language"_s};
    QList<RequestRecord> records;
    records.reserve(count);
    for (int i = 0; i < count; ++i) {
        const QString& group = groups.at(qsizetype(rng() % 7));
        RequestRecord record = factory.started(group, i % 2 ? Model::B : Model::A);
        record.outcome = rng() % 20 == 0 ? Outcome::HttpError : Outcome::Ok;
        record.latencyMs = 500.0 + double(rng() % 30'000);
        record.httpStatus = record.outcome == Outcome::Ok ? 200 : 500;
        record.body = answerBody(rng);
        record.responseBytes = record.body.size();
        record.modelUsed = QString::fromLatin1("gpt-4o-mini");
        record.toolNames
            = {QString::fromLatin1("system_health"), QString::fromLatin1("service_restart")};
        record.toolCallCount = 2;
        record.agentLatencySeconds = record.latencyMs / 1000.0 - 0.2;
        if (record.outcome != Outcome::Ok)
            record.error
                = u"HTTP 500 Internal Server Error: upstream took %1 ms"_s.arg(rng() % 900);
        records.append(record);
    }
    return records;
}

} // namespace

// Measures, without asserting, what 100 000 requests cost the models. Run it to read the
// numbers; it only fails if the models lose rows.
class TestModelFill : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fill_data();
    void fill();
    void chartData();
};

void TestModelFill::fill_data()
{
    QTest::addColumn<bool>("withProxy");
    QTest::newRow("tableOnly") << false;
    QTest::newRow("sortedProxy") << true;
}

void TestModelFill::fill()
{
    QFETCH(bool, withProxy);
    const QList<RequestRecord> finished = requests(Records);

    const qint64 before = residentKiB();
    QElapsedTimer timer;
    timer.start();
    {
        RequestTableModel model;
        RequestFilterModel filter;
        if (withProxy) {
            filter.setSourceModel(&model);
            filter.setFailuresOnly(false);
            filter.sort(RequestTableModel::Latency, Qt::AscendingOrder);
        }
        for (int i = 0; i < Records; i += PerTick) {
            for (int j = i; j < i + PerTick; ++j) {
                RequestRecord started = finished.at(j);
                started.outcome = Outcome::Pending;
                started.body = QByteArray();
                model.addStarted(started);
            }
            for (int j = i; j < i + PerTick; ++j)
                model.addFinished(finished.at(j));
            model.flush();
        }
        const qint64 elapsed = timer.elapsed();
        const qint64 after = residentKiB();
        QCOMPARE(model.rowCount(), Records);
        if (withProxy)
            QCOMPARE(filter.rowCount(), Records);

        // A tick of a busy run once the table is full: one request leaves, one comes back.
        RequestRecord inFlight = finished.at(0);
        inFlight.id = Records + 1;
        inFlight.outcome = Outcome::Pending;
        model.addStarted(inFlight);
        model.flush();
        timer.restart();
        for (int i = 0; i < TypicalTicks; ++i) {
            RequestRecord next = inFlight;
            next.id = inFlight.id + 1;
            model.addStarted(next);
            model.addFinished(RecordFactory::finish(inFlight, Outcome::Ok, 1000.0 + i));
            model.flush();
            inFlight = next;
        }
        const double tickMs = double(timer.nsecsElapsed()) / 1e6 / TypicalTicks;

        qInfo().noquote() << u"%1 records, %2 a tick%3: %4 ms, resident memory +%5 MiB; "
                             u"then %6 ms a tick for one start and one finish"_s.arg(Records)
                                 .arg(PerTick)
                                 .arg(withProxy ? u" with a proxy sorted by latency"_s : QString())
                                 .arg(elapsed)
                                 .arg(double(after - before) / 1024.0, 0, 'f', 1)
                                 .arg(tickMs, 0, 'f', 3);
    }
}

void TestModelFill::chartData()
{
    const QList<RequestRecord> finished = requests(Records);
    const qint64 before = residentKiB();
    QElapsedTimer timer;
    timer.start();
    aimload::ChartData data;
    aimload::FailuresModel failures;
    for (const RequestRecord& record : finished) {
        data.add(record);
        failures.add(record);
    }
    failures.flush();
    const qint64 added = timer.elapsed();
    timer.restart();
    const QDateTime now = finished.constLast().startedAt.addSecs(60);
    const auto series = data.requests(aimload::ChartRange::All, now);
    const auto latency = data.latency(Model::A, aimload::ChartRange::All, now);
    const auto histogram = data.histogram(aimload::ChartRange::All, now);
    const qint64 queried = timer.elapsed();
    QVERIFY(series.buckets.size() <= aimload::ChartData::MaxBuckets);
    QVERIFY(latency.downsampled);
    qInfo().noquote() << u"chart data and failures for %1 records: %2 ms to add, %3 ms to query "
                         u"(%4 buckets), resident memory +%5 MiB; %6 failure rows"_s.arg(Records)
                             .arg(added)
                             .arg(queried)
                             .arg(series.buckets.size())
                             .arg(double(residentKiB() - before) / 1024.0, 0, 'f', 1)
                             .arg(failures.rowCount());
}

QTEST_MAIN(TestModelFill)
#include "tst_modelfill.moc"
