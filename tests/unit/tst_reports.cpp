#include "agent/requestsender.h"
#include "engine/clock.h"
#include "engine/loadengine.h"
#include "prompts/promptpool.h"
#include "report/activitytimeline.h"
#include "report/atomicfilewriter.h"
#include "report/csvformat.h"
#include "report/csvreport.h"
#include "report/cyclestartdelay.h"
#include "report/jsonreport.h"
#include "report/latencyhistogram.h"
#include "report/reportrecorder.h"
#include "report/requestcsvlog.h"
#include "report/runreports.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <optional>

using namespace Qt::StringLiterals;
using aimload::ActivityTimeline;
using aimload::AtomicFileWriter;
using aimload::CsvFormat;
using aimload::CsvReport;
using aimload::CycleInfo;
using aimload::CycleStartDelay;
using aimload::Endpoint;
using aimload::EngineSettings;
using aimload::LatencyHistogram;
using aimload::LoadEngine;
using aimload::ManualClock;
using aimload::Model;
using aimload::Options;
using aimload::Outcome;
using aimload::PromptPool;
using aimload::ReportRecorder;
using aimload::ReportRunInfo;
using aimload::ReportTargets;
using aimload::RequestRecord;
using aimload::RequestSender;
using aimload::RunReports;
using aimload::StatsAggregator;
using aimload::StatsRow;

namespace {

// Answers every request at once, successfully, in 1.5 s.
class ImmediateSender : public RequestSender
{
    Q_OBJECT

public:
    void send(RequestRecord record) override
    {
        Q_EMIT requestSent(record);
        record.outcome = Outcome::Ok;
        record.httpStatus = 200;
        record.latencyMs = 1500.0;
        Q_EMIT requestFinished(record);
    }
    void cancel(quint64) override { }
    void cancelAll() override { }
    int inFlight() const override { return 0; }
    void probeHealth() override { Q_EMIT healthChecked(true, QString()); }
};

const QDateTime Base = QDateTime(QDate(2024, 5, 1), QTime(12, 0), Qt::UTC);

// Locust 2.x's own column lists (locust/stats.py, StatsCSV and StatsCSVFileWriter).
const QStringList LocustPercentileColumns {u"50%"_s, u"66%"_s, u"75%"_s, u"80%"_s, u"90%"_s,
    u"95%"_s, u"98%"_s, u"99%"_s, u"99.9%"_s, u"99.99%"_s, u"100%"_s};
const QList<double> LocustPercentileValues {
    50.0, 66.0, 75.0, 80.0, 90.0, 95.0, 98.0, 99.0, 99.9, 99.99, 100.0};

// RFC 4180: fields separated by commas, records by CRLF, a field in double quotes may hold
// commas, CR, LF and doubled quotes. Returns nothing for text that breaks the rules (a bare
// LF, a quote inside an unquoted field, text after a closing quote, an open quote at the end).
std::optional<QList<QStringList>> parseCsv(const QString& text)
{
    enum class State
    {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted
    };
    QList<QStringList> records;
    QStringList record;
    QString field;
    State state = State::FieldStart;
    const auto endField = [&record, &field, &state] {
        record.append(field);
        field.clear();
        state = State::FieldStart;
    };

    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (state == State::Quoted) {
            if (c == u'"')
                state = State::QuoteInQuoted;
            else
                field += c;
            continue;
        }
        if (state == State::QuoteInQuoted && c == u'"') {
            field += c;
            state = State::Quoted;
            continue;
        }
        if (c == u'"') {
            if (state != State::FieldStart)
                return std::nullopt;
            state = State::Quoted;
        } else if (c == u',') {
            endField();
        } else if (c == u'\r') {
            if (i + 1 >= text.size() || text.at(i + 1) != u'\n')
                return std::nullopt;
            ++i;
            endField();
            records.append(record);
            record.clear();
        } else if (c == u'\n' || state == State::QuoteInQuoted) {
            return std::nullopt;
        } else {
            field += c;
            state = State::Unquoted;
        }
    }
    if (state == State::Quoted)
        return std::nullopt;
    if (!field.isEmpty() || !record.isEmpty()) {
        endField();
        records.append(record);
    }
    return records;
}

struct CsvTable
{
    QStringList header;
    QList<QStringList> rows;

    QString value(qsizetype row, const QString& column) const
    {
        return rows.at(row).value(header.indexOf(column));
    }
    qsizetype find(const QString& column, const QString& value) const
    {
        for (qsizetype i = 0; i < rows.size(); ++i) {
            if (this->value(i, column) == value)
                return i;
        }
        return -1;
    }
};

std::optional<CsvTable> readCsv(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const std::optional<QList<QStringList>> records = parseCsv(QString::fromUtf8(file.readAll()));
    if (!records || records->isEmpty())
        return std::nullopt;
    CsvTable table;
    table.header = records->constFirst();
    table.rows = records->mid(1);
    for (const QStringList& row : std::as_const(table.rows)) {
        if (row.size() != table.header.size())
            return std::nullopt;
    }
    return table;
}

RequestRecord record(const QString& group, Model model, Outcome outcome, double latencyMs,
    qint64 bytes, int secondsAfterBase)
{
    RequestRecord record;
    record.id = quint64(secondsAfterBase) + 1;
    record.cycle = quint64(secondsAfterBase / 20 + 1);
    record.promptId = group + u"_prompt"_s;
    record.group = group;
    record.description = u"Description of "_s + group;
    record.message = u"Hello?"_s;
    record.model = model;
    record.endpoint = group.startsWith(u"mcp"_s) ? Endpoint::Repair : Endpoint::Chat;
    record.workflow = record.endpoint == Endpoint::Repair ? u"minimal_single_tool"_s : QString();
    record.startedAt = Base.addSecs(secondsAfterBase);
    record.latencyMs = latencyMs;
    record.httpStatus = outcome == Outcome::HttpError ? 500 : 200;
    record.responseBytes = bytes;
    record.outcome = outcome;
    if (outcome == Outcome::HttpError)
        record.error = u"HTTP 500 Internal Server Error"_s;
    else if (outcome == Outcome::Timeout)
        record.error = u"no answer within 660 s"_s;
    else if (outcome == Outcome::AgentFailure)
        record.error = u"the agent answered \"success\": false"_s;
    record.toolCallCount = record.endpoint == Endpoint::Repair ? 1 : 0;
    record.toolNames = record.toolCallCount > 0 ? QStringList {u"system_health"_s} : QStringList();
    return record;
}

// Thirteen finished requests (three failed) and one cancelled, ten seconds apart.
QList<RequestRecord> knownRecords()
{
    const QString chat = u"simple_chat"_s;
    const QString mcp = u"mcp_healthy"_s;
    return {
        record(chat, Model::A, Outcome::Ok, 100.0, 1000, 0),
        record(chat, Model::B, Outcome::Ok, 150.0, 2000, 10),
        record(chat, Model::A, Outcome::Ok, 200.0, 1000, 20),
        record(chat, Model::B, Outcome::Ok, 250.0, 2000, 30),
        record(mcp, Model::A, Outcome::Ok, 1000.0, 500, 40),
        record(mcp, Model::B, Outcome::AgentFailure, 2000.0, 300, 50),
        record(chat, Model::A, Outcome::Ok, 300.0, 1000, 60),
        record(chat, Model::B, Outcome::HttpError, 350.0, 2000, 70),
        record(chat, Model::A, Outcome::Ok, 400.0, 1000, 80),
        record(chat, Model::B, Outcome::Timeout, 450.0, 2000, 90),
        record(chat, Model::A, Outcome::Ok, 500.0, 1000, 100),
        record(chat, Model::B, Outcome::Ok, 550.0, 2000, 110),
        record(mcp, Model::A, Outcome::Ok, 3000.0, 500, 120),
        record(chat, Model::A, Outcome::Cancelled, 5.0, 0, 130),
    };
}

ReportRunInfo runInfo()
{
    ReportRunInfo info;
    info.startedAt = Base;
    info.agentUrl = QUrl(u"http://agent.example:8001"_s);
    info.pacing = std::chrono::seconds(720);
    info.users = 1;
    info.seed = 42;
    info.groups = {u"mcp_healthy"_s, u"simple_chat"_s};
    return info;
}

void feed(ReportRecorder& recorder, const QList<RequestRecord>& records)
{
    recorder.setHeartbeatInterval(std::chrono::milliseconds(0));
    recorder.setRunInfo(runInfo());
    recorder.startRun();
    for (const RequestRecord& request : records)
        recorder.addRecord(request);
    recorder.finishRun(u"cycle limit reached"_s);
}

QString wholeMs(double value)
{
    return QString::number(qRound64(value));
}

QStringList directoryEntries(const QString& path)
{
    return QDir(path).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

} // namespace

class TestReports : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();

    void csvCell_data();
    void csvCell();
    void csvNumber_data();
    void csvNumber();

    void statsHeaderIsLocusts();
    void statsColumns_data();
    void statsColumns();
    void statsKnownValues();
    void statsRates();
    void failuresGrouped();
    void historyHeaderIsLocusts();
    void historyMonotonicAndCumulative();
    void historyThinnedToLimit();
    void failureKindsBounded();

    void requestsOneRowPerRecord();
    void requestsTextIntact_data();
    void requestsTextIntact();
    void requestsPartialKeptUntilFinal();

    void atomicWriteNeverShowsHalfAFile();
    void atomicWriteFailureLeavesNothing();
    void unwritableTarget_data();
    void unwritableTarget();
    void prepareRefusesBadDirectory();

    void timelineStaysBounded();
    void histogramBins_data();
    void histogramBins();
    void countsCyclesSlotsAndCancels();
    void cycleStartDelayQuantiles();
    void cycleStartsInTheJsonReport();
    void resumesAfterStop();
    void followsAnEngine();

private:
    QTemporaryDir m_dir;
    QString m_prefix;
    StatsAggregator m_expected;
    CsvTable m_stats;
    CsvTable m_failures;
    CsvTable m_history;
    CsvTable m_requests;
};

void TestReports::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_prefix = m_dir.filePath(u"run"_s);

    ReportRecorder recorder;
    QString error;
    QVERIFY2(recorder.openRequestLog(CsvReport::requestsPartialPath(m_prefix), &error),
        qPrintable(error));
    const QList<RequestRecord> records = knownRecords();
    feed(recorder, records);
    m_expected.setGroupOrder(runInfo().groups);
    for (const RequestRecord& request : records)
        m_expected.add(request);
    QVERIFY2(CsvReport::write(m_prefix, recorder, &error), qPrintable(error));

    const auto load = [](const QString& path, CsvTable& table) {
        const std::optional<CsvTable> parsed = readCsv(path);
        QVERIFY2(parsed, qPrintable(path + u" is not RFC 4180 CSV"_s));
        table = *parsed;
    };
    load(CsvReport::statsPath(m_prefix), m_stats);
    load(CsvReport::failuresPath(m_prefix), m_failures);
    load(CsvReport::historyPath(m_prefix), m_history);
    load(CsvReport::requestsPath(m_prefix), m_requests);
}

void TestReports::csvCell_data()
{
    QTest::addColumn<QString>("cell");
    QTest::addColumn<QString>("written");

    QTest::newRow("plain") << u"simple_chat"_s << u"simple_chat"_s;
    QTest::newRow("empty") << QString() << QString();
    QTest::newRow("comma") << u"a,b"_s << u"\"a,b\""_s;
    QTest::newRow("quote") << u"say \"hi\""_s << u"\"say \"\"hi\"\"\""_s;
    QTest::newRow("newline") << u"one\ntwo"_s << u"\"one\ntwo\""_s;
    QTest::newRow("equals") << u"=1+1"_s << u"'=1+1"_s;
    QTest::newRow("plus") << u"+cmd"_s << u"'+cmd"_s;
    QTest::newRow("minus") << u"-2+3"_s << u"'-2+3"_s;
    QTest::newRow("at") << u"@SUM(A1)"_s << u"'@SUM(A1)"_s;
    QTest::newRow("tab") << u"\t=x"_s << u"'\t=x"_s;
    QTest::newRow("carriage-return") << u"\r=x"_s << u"\"'\r=x\""_s;
    QTest::newRow("fullwidth-equals") << u"＝1+1"_s << u"'＝1+1"_s;
    QTest::newRow("text-that-looks-numeric") << u"-1.5"_s << u"'-1.5"_s;
    QTest::newRow("formula-with-comma") << u"=SUM(1,2)"_s << u"\"'=SUM(1,2)\""_s;
    QTest::newRow("equals-inside") << u"a=b"_s << u"a=b"_s;
}

void TestReports::csvCell()
{
    QFETCH(QString, cell);
    QFETCH(QString, written);

    QCOMPARE(CsvFormat::text(cell), written);
}

void TestReports::csvNumber_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<int>("decimals");
    QTest::addColumn<QString>("written");

    QTest::newRow("negative") << -1.5 << 3 << u"-1.5"_s;
    QTest::newRow("whole") << 300.0 << 3 << u"300"_s;
    QTest::newRow("rounded") << 1.23456 << 3 << u"1.235"_s;
    QTest::newRow("large") << 1.0e9 << 2 << u"1000000000"_s;
    QTest::newRow("negative-zero") << -0.0001 << 2 << u"0"_s;
    QTest::newRow("nan") << std::nan("") << 2 << QString();
}

void TestReports::csvNumber()
{
    QFETCH(double, value);
    QFETCH(int, decimals);
    QFETCH(QString, written);

    QCOMPARE(CsvFormat::number(value, decimals), written);
}

void TestReports::statsHeaderIsLocusts()
{
    const QStringList expected
        = QStringList {u"Type"_s, u"Name"_s, u"Request Count"_s, u"Failure Count"_s,
              u"Median Response Time"_s, u"Average Response Time"_s, u"Min Response Time"_s,
              u"Max Response Time"_s, u"Average Content Size"_s, u"Requests/s"_s, u"Failures/s"_s}
        + LocustPercentileColumns;
    QCOMPARE(m_stats.header, expected);
    QCOMPARE(
        m_failures.header, (QStringList {u"Method"_s, u"Name"_s, u"Error"_s, u"Occurrences"_s}));

    QStringList names;
    for (qsizetype i = 0; i < m_stats.rows.size(); ++i)
        names.append(m_stats.value(i, u"Name"_s));
    QCOMPARE(names,
        (QStringList {u"mcp_healthy (Model A)"_s, u"mcp_healthy (Model B)"_s,
            u"simple_chat (Model A)"_s, u"simple_chat (Model B)"_s, u"Aggregated"_s}));
    QCOMPARE(m_stats.value(0, u"Type"_s), u"POST"_s);
    QCOMPARE(m_stats.value(4, u"Type"_s), QString());
}

void TestReports::statsColumns_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("column");
    QTest::addColumn<QString>("expected");

    QList<std::pair<QString, StatsRow>> rows;
    const QList<StatsRow> groupRows = m_expected.rows();
    for (const StatsRow& row : groupRows)
        rows.append({ReportRecorder::requestName(row.group, *row.model), row});
    rows.append({u"Aggregated"_s, m_expected.total()});

    for (const auto& [name, row] : std::as_const(rows)) {
        const QString tag = QString(name).remove(u' ').remove(u'(').remove(u')');
        const auto add = [&name, &tag](const QString& column, const QString& expected) {
            const QString rowTag = tag + u'-' + QString(column).remove(u' ');
            QTest::newRow(qPrintable(rowTag)) << name << column << expected;
        };
        add(u"Request Count"_s, QString::number(row.requests));
        add(u"Failure Count"_s, QString::number(row.failures));
        add(u"Median Response Time"_s, wholeMs(row.medianMs));
        add(u"Average Response Time"_s, CsvFormat::number(row.averageMs, 3));
        add(u"Min Response Time"_s, CsvFormat::number(row.minMs, 3));
        add(u"Max Response Time"_s, CsvFormat::number(row.maxMs, 3));
        add(u"Average Content Size"_s, CsvFormat::number(row.averageBytes, 2));
        for (qsizetype i = 0; i < LocustPercentileColumns.size(); ++i)
            add(LocustPercentileColumns.at(i),
                wholeMs(m_expected.percentile(row, LocustPercentileValues.at(i))));
    }
}

void TestReports::statsColumns()
{
    QFETCH(QString, name);
    QFETCH(QString, column);
    QFETCH(QString, expected);

    const qsizetype row = m_stats.find(u"Name"_s, name);
    QVERIFY(row >= 0);
    QCOMPARE(m_stats.value(row, column), expected);
}

void TestReports::statsKnownValues()
{
    // Worked out by hand, so the aggregator is not only compared with itself.
    const qsizetype chatA = m_stats.find(u"Name"_s, u"simple_chat (Model A)"_s);
    QCOMPARE(m_stats.value(chatA, u"Request Count"_s), u"5"_s);
    QCOMPARE(m_stats.value(chatA, u"Median Response Time"_s), u"300"_s);
    QCOMPARE(m_stats.value(chatA, u"66%"_s), u"400"_s);
    QCOMPARE(m_stats.value(chatA, u"80%"_s), u"400"_s);
    QCOMPARE(m_stats.value(chatA, u"90%"_s), u"500"_s);
    QCOMPARE(m_stats.value(chatA, u"Average Response Time"_s), u"300"_s);
    QCOMPARE(m_stats.value(chatA, u"Average Content Size"_s), u"1000"_s);

    const qsizetype total = m_stats.find(u"Name"_s, u"Aggregated"_s);
    QCOMPARE(m_stats.value(total, u"Request Count"_s), u"13"_s);
    QCOMPARE(m_stats.value(total, u"Failure Count"_s), u"3"_s);
    QCOMPARE(m_stats.value(total, u"Min Response Time"_s), u"100"_s);
    QCOMPARE(m_stats.value(total, u"Max Response Time"_s), u"3000"_s);
    QCOMPARE(m_stats.value(total, u"50%"_s), u"400"_s);
    QCOMPARE(m_stats.value(total, u"100%"_s), u"3000"_s);
}

void TestReports::statsRates()
{
    // Locust: requests / (last request - start). The last request finished at 120 s + 3 s.
    const qsizetype total = m_stats.find(u"Name"_s, u"Aggregated"_s);
    QCOMPARE(m_stats.value(total, u"Requests/s"_s), QString::number(13.0 / 123.0, 'f', 6));
    QCOMPARE(m_stats.value(total, u"Failures/s"_s), QString::number(3.0 / 123.0, 'f', 6));
}

void TestReports::failuresGrouped()
{
    QCOMPARE(m_failures.rows.size(), 3);
    for (qsizetype i = 0; i < m_failures.rows.size(); ++i) {
        QCOMPARE(m_failures.value(i, u"Method"_s), u"POST"_s);
        QCOMPARE(m_failures.value(i, u"Occurrences"_s), u"1"_s);
    }
    const qsizetype agent = m_failures.find(u"Error"_s, u"the agent answered \"success\": false"_s);
    QVERIFY(agent >= 0);
    QCOMPARE(m_failures.value(agent, u"Name"_s), u"mcp_healthy (Model B)"_s);

    ReportRecorder recorder;
    QList<RequestRecord> records;
    for (int i = 0; i < 4; ++i)
        records.append(record(u"simple_chat"_s, Model::B, Outcome::Timeout, 660000.0, 0, i * 10));
    records.append(record(u"simple_chat"_s, Model::A, Outcome::Timeout, 660000.0, 0, 50));
    records.append(record(u"simple_chat"_s, Model::B, Outcome::HttpError, 20.0, 0, 60));
    feed(recorder, records);
    const QList<aimload::FailureEntry> failures = recorder.failures();
    QCOMPARE(failures.size(), qsizetype(3));
    QCOMPARE(failures.at(0).name, u"simple_chat (Model B)"_s);
    QCOMPARE(failures.at(0).error, u"no answer within 660 s"_s);
    QCOMPARE(failures.at(0).occurrences, qint64(4));
}

void TestReports::historyHeaderIsLocusts()
{
    const QStringList expected = QStringList {u"Timestamp"_s, u"User Count"_s, u"Type"_s, u"Name"_s,
                                     u"Requests/s"_s, u"Failures/s"_s}
        + LocustPercentileColumns
        + QStringList {u"Total Request Count"_s, u"Total Failure Count"_s,
            u"Total Median Response Time"_s, u"Total Average Response Time"_s,
            u"Total Min Response Time"_s, u"Total Max Response Time"_s,
            u"Total Average Content Size"_s};
    QCOMPARE(m_history.header, expected);
}

void TestReports::historyMonotonicAndCumulative()
{
    qint64 lastTime = 0;
    qint64 lastTotal = 0;
    qint64 lastFailures = 0;
    int aggregatedRows = 0;
    for (qsizetype i = 0; i < m_history.rows.size(); ++i) {
        const qint64 time = m_history.value(i, u"Timestamp"_s).toLongLong();
        QVERIFY2(time >= lastTime, qPrintable(u"row %1 goes back in time"_s.arg(i)));
        lastTime = time;
        if (m_history.value(i, u"Name"_s) != u"Aggregated"_s)
            continue;
        ++aggregatedRows;
        const qint64 total = m_history.value(i, u"Total Request Count"_s).toLongLong();
        const qint64 failures = m_history.value(i, u"Total Failure Count"_s).toLongLong();
        QVERIFY(total >= lastTotal);
        QVERIFY(failures >= lastFailures);
        lastTotal = total;
        lastFailures = failures;
    }
    // One at the start, one per finished (not cancelled) request, one at the end.
    QCOMPARE(aggregatedRows, 1 + 13 + 1);
    QCOMPARE(lastTotal, qint64(13));
    QCOMPARE(lastFailures, qint64(3));
    QCOMPARE(m_history.value(0, u"Timestamp"_s), QString::number(Base.toSecsSinceEpoch()));
    QCOMPARE(m_history.value(0, u"50%"_s), u"N/A"_s);
    QCOMPARE(m_history.value(0, u"User Count"_s), u"1"_s);

    const qsizetype last = m_history.rows.size() - 1;
    QCOMPARE(m_history.value(last, u"Total Median Response Time"_s),
        wholeMs(m_expected.total().medianMs));
    QCOMPARE(
        m_history.value(last, u"99%"_s), wholeMs(m_expected.percentile(m_expected.total(), 99.0)));
}

void TestReports::historyThinnedToLimit()
{
    ReportRecorder recorder;
    recorder.setHistoryLimit(50);
    QList<RequestRecord> records;
    for (int i = 0; i < 1000; ++i)
        records.append(record(u"simple_chat"_s, Model::A, Outcome::Ok, 10.0 + i, 100, i * 5));
    feed(recorder, records);

    const QList<aimload::HistorySnapshot>& history = recorder.history();
    QVERIFY(history.size() <= 50);
    QVERIFY(history.size() >= 25);
    QCOMPARE(history.constFirst().atMs, Base.toMSecsSinceEpoch());
    QCOMPARE(history.constLast().rows.constLast().requests, qint64(1000));
    for (qsizetype i = 1; i < history.size(); ++i) {
        QVERIFY(history.at(i).atMs >= history.at(i - 1).atMs);
        QVERIFY(
            history.at(i).rows.constLast().requests >= history.at(i - 1).rows.constLast().requests);
    }
}

void TestReports::failureKindsBounded()
{
    ReportRecorder recorder;
    QList<RequestRecord> records;
    const int kinds = int(ReportRecorder::FailureKindLimit) + 20;
    for (int i = 0; i < kinds; ++i) {
        RequestRecord failed = record(u"simple_chat"_s, Model::A, Outcome::HttpError, 5.0, 0, i);
        failed.error = u"HTTP 500: request %1 failed"_s.arg(i);
        records.append(failed);
    }
    feed(recorder, records);

    const QList<aimload::FailureEntry> failures = recorder.failures();
    QCOMPARE(failures.size(), ReportRecorder::FailureKindLimit + 1);
    qint64 occurrences = 0;
    for (const aimload::FailureEntry& failure : failures)
        occurrences += failure.occurrences;
    QCOMPARE(occurrences, qint64(kinds));
    QCOMPARE(failures.constFirst().occurrences, qint64(20));
}

void TestReports::requestsOneRowPerRecord()
{
    const QList<RequestRecord> records = knownRecords();
    QCOMPARE(m_requests.header, aimload::RequestCsvLog::header());
    QCOMPARE(m_requests.rows.size(), records.size());
    for (qsizetype i = 0; i < records.size(); ++i) {
        const RequestRecord& expected = records.at(i);
        QCOMPARE(m_requests.value(i, u"request_id"_s), QString::number(expected.id));
        QCOMPARE(m_requests.value(i, u"time"_s), expected.startedAt.toString(Qt::ISODateWithMs));
        QCOMPARE(m_requests.value(i, u"model"_s), expected.model == Model::A ? u"A"_s : u"B"_s);
        QCOMPARE(m_requests.value(i, u"outcome"_s), aimload::outcomeName(expected.outcome));
        QCOMPARE(m_requests.value(i, u"latency_ms"_s), CsvFormat::number(expected.latencyMs, 3));
        QCOMPARE(m_requests.value(i, u"endpoint"_s), aimload::endpointPath(expected.endpoint));
    }
    QVERIFY(m_requests.value(0, u"time"_s).endsWith(u'Z'));
}

void TestReports::requestsTextIntact_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("read");

    QTest::newRow("unicode") << u"description"_s << u"Grüße 🚀 日本語"_s << u"Grüße 🚀 日本語"_s;
    QTest::newRow("newlines") << u"message"_s << u"line one\nline two\r\nthree"_s
                              << u"line one\nline two\r\nthree"_s;
    QTest::newRow("quotes") << u"error"_s << u"said \"no\", twice"_s << u"said \"no\", twice"_s;
    QTest::newRow("commas") << u"detail"_s << u"a,b,,c"_s << u"a,b,,c"_s;
    QTest::newRow("formula-equals") << u"description"_s << u"=1+1"_s << u"'=1+1"_s;
    QTest::newRow("formula-plus") << u"message"_s << u"+cmd"_s << u"'+cmd"_s;
    QTest::newRow("formula-minus") << u"error"_s << u"-2+3"_s << u"'-2+3"_s;
    QTest::newRow("formula-at") << u"detail"_s << u"@SUM(A1)"_s << u"'@SUM(A1)"_s;
    QTest::newRow("formula-tab") << u"model_used"_s << u"\t=x"_s << u"'\t=x"_s;
    QTest::newRow("formula-group")
        << u"group"_s << u"=HYPERLINK(\"x\")"_s << u"'=HYPERLINK(\"x\")"_s;
}

void TestReports::requestsTextIntact()
{
    QFETCH(QString, field);
    QFETCH(QString, text);
    QFETCH(QString, read);

    RequestRecord request = record(u"simple_chat"_s, Model::A, Outcome::Ok, 12.5, 10, 0);
    request.agentLatencySeconds = -1.5;
    if (field == u"description"_s)
        request.description = text;
    else if (field == u"message"_s)
        request.message = text;
    else if (field == u"error"_s)
        request.error = text;
    else if (field == u"detail"_s)
        request.detail = text;
    else if (field == u"model_used"_s)
        request.modelUsed = text;
    else if (field == u"group"_s)
        request.group = text;

    QTemporaryDir dir;
    const QString prefix = dir.filePath(u"text"_s);
    ReportRecorder recorder;
    QString error;
    QVERIFY(recorder.openRequestLog(CsvReport::requestsPartialPath(prefix), &error));
    feed(recorder, {request, request});
    QVERIFY2(CsvReport::write(prefix, recorder, &error), qPrintable(error));

    const std::optional<CsvTable> table = readCsv(CsvReport::requestsPath(prefix));
    QVERIFY(table);
    QCOMPARE(table->rows.size(), 2);
    QCOMPARE(table->value(1, field), read);
    // A number, even a negative one, is left alone.
    QCOMPARE(table->value(1, u"agent_latency_seconds"_s), u"-1.5"_s);
    QCOMPARE(table->value(1, u"latency_ms"_s), u"12.5"_s);
}

void TestReports::requestsPartialKeptUntilFinal()
{
    QTemporaryDir dir;
    const QString prefix = dir.filePath(u"partial"_s);
    RunReports reports(ReportTargets {prefix, QString(), QString()});
    QString error;
    QVERIFY2(reports.prepare(&error), qPrintable(error));
    const QString partial = CsvReport::requestsPartialPath(prefix);
    QVERIFY(QFile::exists(partial));

    ReportRecorder* recorder = reports.recorder();
    recorder->setRunInfo(runInfo());
    recorder->startRun();
    recorder->addRecord(record(u"simple_chat"_s, Model::A, Outcome::Ok, 10.0, 1, 0));

    // A side file is a CSV on its own, complete up to the last request.
    std::optional<CsvTable> sideFile = readCsv(partial);
    QVERIFY(sideFile);
    QCOMPARE(sideFile->rows.size(), 1);

    QStringList errors;
    QStringList written;
    QVERIFY(reports.write(false, &errors, &written));
    QVERIFY(QFile::exists(partial));
    QCOMPARE(written.size(), 4);
    recorder->addRecord(record(u"simple_chat"_s, Model::B, Outcome::Ok, 11.0, 1, 10));
    QVERIFY(reports.write(true, &errors, &written));
    QVERIFY(errors.isEmpty());
    QVERIFY(!QFile::exists(partial));
    QCOMPARE(directoryEntries(dir.path()),
        (QStringList {u"partial_failures.csv"_s, u"partial_requests.csv"_s, u"partial_stats.csv"_s,
            u"partial_stats_history.csv"_s}));
    const std::optional<CsvTable> requests = readCsv(CsvReport::requestsPath(prefix));
    QVERIFY(requests);
    QCOMPARE(requests->rows.size(), 2);
    QVERIFY(!recorder->isRunning());
}

void TestReports::atomicWriteNeverShowsHalfAFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"report.html"_s);
    bool checked = false;
    const auto fill = [&path, &checked](QIODevice& device, QString*) {
        for (int i = 0; i < 1000; ++i) {
            if (device.write(QByteArray(1024, 'x')) != 1024)
                return false;
            if (i == 500)
                checked = !QFile::exists(path);
        }
        return true;
    };
    QString error;
    QVERIFY2(AtomicFileWriter::write(path, fill, &error), qPrintable(error));
    QVERIFY(checked);
    QCOMPARE(QFileInfo(path).size(), 1000 * 1024);
    QCOMPARE(directoryEntries(dir.path()), QStringList {u"report.html"_s});

    // Replacing a file: the old one stays whole until the new one is complete.
    bool oldIntact = false;
    const auto replace = [&path, &oldIntact](QIODevice& device, QString*) {
        device.write("new");
        QFile old(path);
        oldIntact = old.open(QIODevice::ReadOnly) && old.size() == 1000 * 1024;
        return true;
    };
    QVERIFY(AtomicFileWriter::write(path, replace, &error));
    QVERIFY(oldIntact);
    QCOMPARE(QFileInfo(path).size(), 3);
    QCOMPARE(directoryEntries(dir.path()), QStringList {u"report.html"_s});
}

void TestReports::atomicWriteFailureLeavesNothing()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(u"half.csv"_s);
    const auto failing = [](QIODevice& device, QString* reason) {
        device.write("Type,Name\r\n");
        *reason = u"the source went away"_s;
        return false;
    };
    QString error;
    QVERIFY(!AtomicFileWriter::write(path, failing, &error));
    QVERIFY(error.contains(QDir::toNativeSeparators(path)));
    QVERIFY(error.contains(u"the source went away"_s));
    QVERIFY(directoryEntries(dir.path()).isEmpty());
}

void TestReports::unwritableTarget_data()
{
    QTest::addColumn<QString>("location");

    QTest::newRow("missing-directory") << u"missing/deeper"_s;
    // Root may write anywhere; nobody can make a directory inside a regular file.
    QTest::newRow("under-a-regular-file") << u"plain.txt"_s;
}

void TestReports::unwritableTarget()
{
    QFETCH(QString, location);

    QTemporaryDir dir;
    QFile plain(dir.filePath(u"plain.txt"_s));
    QVERIFY(plain.open(QIODevice::WriteOnly));
    plain.close();
    const QString base = dir.filePath(location);

    ReportRecorder recorder;
    feed(recorder, knownRecords());
    QString error;
    const QString prefix = base + u"/run"_s;
    // The first failure is the answer; the others are logged.
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"run_failures\\.csv"_s));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"run_stats_history\\.csv"_s));
    QVERIFY(!CsvReport::write(prefix, recorder, &error));
    QVERIFY2(
        error.contains(QDir::toNativeSeparators(CsvReport::statsPath(prefix))), qPrintable(error));
    QVERIFY(!error.contains(u'\n'));

    error.clear();
    QVERIFY(!recorder.openRequestLog(CsvReport::requestsPartialPath(prefix), &error));
    QVERIFY2(error.contains(QDir::toNativeSeparators(CsvReport::requestsPartialPath(prefix))),
        qPrintable(error));
    QVERIFY(!error.contains(u'\n'));
    QCOMPARE(directoryEntries(dir.path()), QStringList {u"plain.txt"_s});
}

void TestReports::prepareRefusesBadDirectory()
{
    QTemporaryDir dir;
    QFile plain(dir.filePath(u"plain.txt"_s));
    QVERIFY(plain.open(QIODevice::WriteOnly));
    plain.close();

    const QString html = dir.filePath(u"plain.txt/report.html"_s);
    RunReports reports(ReportTargets {QString(), html, QString()});
    QString error;
    QVERIFY(!reports.prepare(&error));
    QVERIFY2(error.contains(QDir::toNativeSeparators(html)), qPrintable(error));
    QVERIFY(!error.contains(u'\n'));

    RunReports missing(ReportTargets {dir.filePath(u"nowhere/run"_s), QString(), QString()});
    QVERIFY(!missing.prepare(&error));
    QVERIFY2(error.contains(u"nowhere"_s), qPrintable(error));
}

void TestReports::timelineStaysBounded()
{
    ActivityTimeline timeline(16);
    timeline.setGroupOrder({u"a"_s, u"b"_s});
    timeline.setStart(Base);
    qint64 added = 0;
    // Four weeks, a request every 6 minutes.
    for (qint64 seconds = 0; seconds < 28 * 86400; seconds += 360) {
        timeline.add(Base.addSecs(seconds), seconds % 720 == 0 ? u"a"_s : u"b"_s,
            seconds % 720 == 0 ? Model::A : Model::B, 100.0, false);
        ++added;
    }
    QVERIFY(timeline.bins().size() <= 16);
    qint64 counted = 0;
    qint64 latencies = 0;
    for (const ActivityTimeline::Bin& bin : timeline.bins()) {
        counted += bin.requests();
        latencies += bin.latency[0].count + bin.latency[1].count;
    }
    QCOMPARE(counted, added);
    QCOMPARE(latencies, added);
    QVERIFY(timeline.binSeconds() * 16 >= 28 * 86400);
    QCOMPARE(timeline.start(), Base);
}

void TestReports::histogramBins_data()
{
    QTest::addColumn<double>("latencyMs");
    QTest::addColumn<double>("lower");
    QTest::addColumn<double>("upper");

    QTest::newRow("below-1ms") << 0.4 << 0.0 << 1.0;
    QTest::newRow("edge-is-lower") << 1.5 << 1.5 << 2.0;
    QTest::newRow("seconds") << 8200.0 << 7000.0 << 10000.0;
    QTest::newRow("timeout") << 660000.0 << 500000.0 << 700000.0;
    QTest::newRow("beyond") << 2.0e7 << 1.0e7 << std::numeric_limits<double>::infinity();
}

void TestReports::histogramBins()
{
    QFETCH(double, latencyMs);
    QFETCH(double, lower);
    QFETCH(double, upper);

    LatencyHistogram histogram;
    histogram.add(latencyMs);
    QCOMPARE(histogram.total(), qint64(1));
    qsizetype found = -1;
    for (qsizetype bin = 0; bin < LatencyHistogram::BinCount; ++bin) {
        if (histogram.count(bin) == 1)
            found = bin;
    }
    QVERIFY(found >= 0);
    QCOMPARE(LatencyHistogram::lowerEdgeMs(found), lower);
    QCOMPARE(LatencyHistogram::upperEdgeMs(found), upper);
}

void TestReports::countsCyclesSlotsAndCancels()
{
    ReportRecorder recorder;
    recorder.setHeartbeatInterval(std::chrono::milliseconds(0));
    recorder.addFinishedCycle(CycleInfo {});
    CycleInfo failed;
    failed.triggered = true;
    failed.failures = 1;
    recorder.addFinishedCycle(failed);
    recorder.addSkippedSlots(0, 3, 4, u"cycle 2 was still running through them"_s);
    recorder.addRecord(record(u"simple_chat"_s, Model::A, Outcome::Cancelled, 1.0, 0, 0));
    recorder.finishRun(u"stopped"_s);
    recorder.finishRun(u"again"_s);

    QCOMPARE(recorder.counts().cyclesCompleted, qint64(2));
    QCOMPARE(recorder.counts().cyclesTriggered, qint64(1));
    QCOMPARE(recorder.counts().cyclesWithFailures, qint64(1));
    QCOMPARE(recorder.counts().slotsSkipped, qint64(4));
    QCOMPARE(recorder.counts().requestsCancelled, qint64(1));
    QCOMPARE(recorder.runInfo().endReason, u"stopped"_s);
    QCOMPARE(recorder.stats().total().requests, qint64(0));
}

void TestReports::cycleStartDelayQuantiles()
{
    CycleStartDelay delay;
    QVERIFY(std::isnan(delay.maxMs()));
    QVERIFY(std::isnan(delay.quantileMs(0.5)));
    QCOMPARE(delay.countLaterThan(2.0), qint64(0));

    for (int i = 0; i < 98; ++i)
        delay.add(0.2);
    delay.add(2.5);
    delay.add(30.0); // beyond the last bin
    delay.add(std::nan("")); // ignored

    QCOMPARE(delay.count(), qint64(100));
    QCOMPARE(delay.maxMs(), 30.0);
    QVERIFY(qAbs(delay.averageMs() - (98 * 0.2 + 2.5 + 30.0) / 100.0) < 1e-9);
    // Upper edges of the 10 µs bins.
    QVERIFY(qAbs(delay.quantileMs(0.5) - 0.21) < 1e-9);
    QVERIFY(qAbs(delay.quantileMs(0.99) - 2.51) < 1e-9);
    QCOMPARE(delay.quantileMs(1.0), 30.0);
    QCOMPARE(delay.countLaterThan(2.0), qint64(2));
    QCOMPARE(delay.countLaterThan(10.0), qint64(1));
    QCOMPARE(delay.countLaterThan(0.1), qint64(100));

    CycleStartDelay single;
    single.add(0.123);
    QCOMPARE(single.quantileMs(0.99), 0.123); // never above the largest delay
}

void TestReports::cycleStartsInTheJsonReport()
{
    ReportRecorder recorder;
    recorder.setHeartbeatInterval(std::chrono::milliseconds(0));
    const auto cycle = [](qint64 slot, qint64 scheduledNs, qint64 startedNs) {
        CycleInfo info;
        info.slot = slot;
        info.triggered = slot < 0;
        info.scheduledNs = scheduledNs;
        info.startedNs = startedNs;
        return info;
    };
    recorder.addFinishedCycle(cycle(0, 1'000'000'000, 1'000'100'000)); // 0.1 ms late
    recorder.addFinishedCycle(cycle(1, 2'000'000'000, 2'003'000'000)); // 3 ms late
    recorder.addFinishedCycle(cycle(-1, 2'500'000'000, 2'500'000'000)); // triggered

    const QJsonObject starts = aimload::JsonReport::toJson(recorder)[u"cycle_starts"_s].toObject();
    QCOMPARE(starts[u"scheduled"_s].toInteger(), 2);
    QCOMPARE(starts[u"later_than_2_ms"_s].toInteger(), 1);
    const QJsonObject delayMs = starts[u"delay_ms"_s].toObject();
    QCOMPARE(delayMs[u"max"_s].toDouble(), 3.0);
    QVERIFY(qAbs(delayMs[u"average"_s].toDouble() - 1.55) < 1e-9);
    QVERIFY(qAbs(delayMs[u"median"_s].toDouble() - 0.11) < 1e-9);

    // Without scheduled cycles the figures are null, not zero.
    ReportRecorder empty;
    empty.setHeartbeatInterval(std::chrono::milliseconds(0));
    const QJsonObject none = aimload::JsonReport::toJson(empty)[u"cycle_starts"_s].toObject();
    QCOMPARE(none[u"scheduled"_s].toInteger(), 0);
    QVERIFY(none[u"delay_ms"_s].toObject()[u"max"_s].isNull());
}

void TestReports::resumesAfterStop()
{
    ReportRecorder recorder;
    recorder.setHeartbeatInterval(std::chrono::milliseconds(0));
    recorder.setRunInfo(runInfo());
    recorder.startRun();
    recorder.addRecord(record(u"simple_chat"_s, Model::A, Outcome::Ok, 10.0, 0, 0));
    recorder.finishRun(u"stopped"_s);
    QVERIFY(recorder.runInfo().endedAt.isValid());

    recorder.startRun();
    QVERIFY(recorder.isRunning());
    QVERIFY(!recorder.runInfo().endedAt.isValid());
    QCOMPARE(recorder.runInfo().startedAt, Base);
    recorder.addRecord(record(u"simple_chat"_s, Model::B, Outcome::Ok, 10.0, 0, 0));
    recorder.finishRun(u"run time reached"_s);
    QCOMPARE(recorder.runInfo().endReason, u"run time reached"_s);
    QCOMPARE(recorder.stats().total().requests, qint64(2));
    QCOMPARE(recorder.history().constLast().rows.constLast().requests, qint64(2));
}

void TestReports::followsAnEngine()
{
    QString error;
    std::optional<PromptPool> pool = PromptPool::load(PromptPool::defaultPoolPath(), &error);
    QVERIFY2(pool, qPrintable(error));
    ManualClock clock;
    ImmediateSender sender;
    EngineSettings settings;
    settings.pacing = std::chrono::seconds(720);
    settings.cycles = 3;
    settings.waitHealthy = false;
    settings.seed = 7;
    LoadEngine engine(settings, *pool, &sender, &clock);

    ReportRecorder recorder;
    recorder.setHeartbeatInterval(std::chrono::milliseconds(0));
    Options options;
    options.pacing = settings.pacing;
    options.cycles = settings.cycles;
    recorder.setRunInfo(ReportRunInfo::fromOptions(options, *pool, options.host, 7));
    recorder.attach(&engine);
    QSignalSpy finished(&engine, &LoadEngine::finished);
    engine.start();
    clock.advanceMs(3 * 720 * 1000);

    QCOMPARE(finished.size(), 1);
    QVERIFY(recorder.runInfo().startedAt.isValid());
    QVERIFY(recorder.runInfo().endedAt.isValid());
    QCOMPARE(recorder.runInfo().endReason, u"cycle limit reached"_s);
    QCOMPARE(recorder.runInfo().seed, quint64(7));
    QCOMPARE(recorder.counts().cyclesCompleted, qint64(3));
    QCOMPARE(recorder.stats().total().requests, qint64(6));
    QCOMPARE(recorder.stats().modelTotal(Model::B).requests, qint64(3));
    QVERIFY(!recorder.isRunning());
    QCOMPARE(recorder.history().constLast().rows.constLast().requests, qint64(6));
}

QTEST_GUILESS_MAIN(TestReports)
#include "tst_reports.moc"
