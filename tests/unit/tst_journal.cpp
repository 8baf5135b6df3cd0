#include "stats/statsaggregator.h"
#include "storage/journal.h"
#include "storage/journalschema.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>

#ifdef Q_OS_LINUX
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;
using aimload::Endpoint;
using aimload::Journal;
using aimload::Model;
using aimload::Outcome;
using aimload::RequestRecord;
using aimload::RunInfo;

Q_LOGGING_CATEGORY(lcBench, "aimload.bench")

namespace {

enum class BadPath
{
    Directory,
    ParentIsFile,
    ReadOnlyDirectory,
    ReadOnlyFile,
    Garbage,
    OtherDatabase,
    NewerSchema,
    LockedJournal,
    LockedNewFile,
};

QDateTime utc(int day, int hour, int minute, int second, int ms = 0)
{
    return QDateTime(QDate(2024, 5, day), QTime(hour, minute, second, ms), Qt::UTC);
}

RequestRecord fullRecord()
{
    RequestRecord record;
    record.id = 17;
    record.user = 3;
    record.cycle = 42;
    record.triggered = true;
    record.promptId = u"repair-flaky-test"_s;
    record.group = u"repair"_s;
    record.description = u"Fix a flaky test"_s;
    record.message = u"The test tst_foo fails one run in ten. Find out why."_s;
    record.model = Model::B;
    record.endpoint = Endpoint::Repair;
    record.workflow = u"ci-fix"_s;
    record.startedAt = utc(17, 9, 30, 12, 345);
    record.latencyMs = 1234.5678;
    record.httpStatus = 200;
    record.responseBytes = 98765;
    record.outcome = Outcome::Ok;
    record.modelUsed = u"model-b-2024-05"_s;
    record.agentLatencySeconds = 1.125;
    record.toolCallCount = 3;
    record.toolNames = {u"read_file"_s, u"run_tests"_s, u"write_file"_s};
    record.traceId = u"4bf92f3577b34da6a3ce929d0e0e4736"_s;
    record.spanId = u"00f067aa0ba902b7"_s;
    record.body = QByteArrayLiteral(R"({"success": true, "answer": "fixed"})");
    return record;
}

// One record per started second, user and model alternating, every fifth one failed.
RequestRecord numberedRecord(quint64 id, const QString& group = u"chat"_s)
{
    RequestRecord record;
    record.id = id;
    record.user = int(id % 3);
    record.cycle = (id + 1) / 2;
    record.group = group;
    record.promptId = u"%1-%2"_s.arg(group).arg(id % 7);
    record.message = u"message %1"_s.arg(id);
    record.model = id % 2 ? Model::A : Model::B;
    record.startedAt = utc(1, 0, 0, 0).addSecs(qint64(id));
    record.latencyMs = double(100 + (id * 37) % 900);
    record.httpStatus = id % 5 == 0 ? 500 : 200;
    record.responseBytes = qint64(200 + id % 50);
    record.outcome = id % 5 == 0 ? Outcome::HttpError : Outcome::Ok;
    record.error = id % 5 == 0 ? u"HTTP 500 Internal Server Error"_s : QString();
    return record;
}

// A request as a month-long run makes them: four groups, both models, one in five failed.
RequestRecord benchRecord(quint64 id, int bodyBytes)
{
    static const QStringList groups {u"chat"_s, u"repair"_s, u"search"_s, u"summary"_s};
    RequestRecord record = numberedRecord(id, groups.at(int(id / 2 % 4)));
    record.latencyMs = double(200 + id * 7919 % 5000);
    record.body = QByteArray(bodyBytes, 'x');
    return record;
}

// The same rows as benchRecord() for ids %1 to %2 of run %3 with %4 bytes of body, made by
// SQLite itself: a million record() calls would take minutes.
QString benchFillSql()
{
    return u"WITH RECURSIVE n(i) AS (SELECT %1 UNION ALL SELECT i + 1 FROM n WHERE i < %2) "
           "INSERT INTO requests (run_id, in_stats, failed, request_id, user, cycle, triggered, "
           "prompt_id, grp, description, message, model, endpoint, workflow, started_at, "
           "latency_ms, http_status, response_bytes, outcome, error, redirect_target, "
           "model_used, agent_latency_seconds, tool_call_count, tool_names, detail, trace_id, "
           "span_id, body_head) "
           "SELECT %3, 1, i % 5 = 0, i, i % 3, (i + 1) / 2, 0, 'x', "
           "CASE i / 2 % 4 WHEN 0 THEN 'chat' WHEN 1 THEN 'repair' WHEN 2 THEN 'search' "
           "ELSE 'summary' END, '', 'message ' || i, CASE i % 2 WHEN 1 THEN 'A' ELSE 'B' END, "
           "'chat', '', 1714521600000 + i * 1000, 200 + i * 7919 % 5000, "
           "CASE WHEN i % 5 = 0 THEN 500 ELSE 200 END, 200 + i % 50, "
           "CASE WHEN i % 5 = 0 THEN 'http_error' ELSE 'ok' END, "
           "'', '', '', NULL, 0, '[]', '', '', '', zeroblob(%4) FROM n"_s;
}

QString rowName(const aimload::StatsRow& row)
{
    return row.group + u'/' + (row.model ? QString(aimload::modelLetter(*row.model)) : u"*"_s);
}

void compareStatsRows(
    const QList<aimload::StatsRow>& actual, const QList<aimload::StatsRow>& expected)
{
    QCOMPARE(actual.size(), expected.size());
    for (qsizetype i = 0; i < actual.size(); ++i) {
        const aimload::StatsRow& a = actual.at(i);
        const aimload::StatsRow& e = expected.at(i);
        QCOMPARE(rowName(a), rowName(e));
        QCOMPARE(a.requests, e.requests);
        QCOMPARE(a.failures, e.failures);
        QCOMPARE(a.cancelled, e.cancelled);
        // QCOMPARE takes two NaNs as equal: an empty row has NaN statistics in both.
        QCOMPARE(a.medianMs, e.medianMs);
        QCOMPARE(a.p95Ms, e.p95Ms);
        QCOMPARE(a.p99Ms, e.p99Ms);
        QCOMPARE(a.averageMs, e.averageMs);
        QCOMPARE(a.minMs, e.minMs);
        QCOMPARE(a.maxMs, e.maxMs);
        QCOMPARE(a.averageBytes, e.averageBytes);
        QCOMPARE(a.averageToolCalls, e.averageToolCalls);
    }
}

QList<aimload::StatsRow> aggregatorRows(const aimload::StatsAggregator& stats)
{
    QList<aimload::StatsRow> rows = stats.rows();
    rows.append(stats.modelTotal(Model::A));
    rows.append(stats.modelTotal(Model::B));
    rows.append(stats.total());
    return rows;
}

// Requests of every kind in start order: three groups, both models, failures, cancelled
// ones, one that never finished, and latencies with ties.
QList<RequestRecord> mixedRecords(int count, quint32 seed)
{
    static const QStringList groups {u"chat"_s, u"repair"_s, u"search"_s};
    static const QList<Outcome> outcomes {Outcome::Ok, Outcome::Ok, Outcome::Ok, Outcome::Ok,
        Outcome::HttpError, Outcome::Timeout, Outcome::AgentFailure, Outcome::Cancelled};
    QRandomGenerator random(seed);
    QList<RequestRecord> records;
    for (int i = 1; i <= count; ++i) {
        RequestRecord record = numberedRecord(quint64(i), groups.at(random.bounded(3)));
        record.model = random.bounded(2) ? Model::B : Model::A;
        record.outcome = outcomes.at(random.bounded(int(outcomes.size())));
        record.latencyMs = double(random.bounded(4000)) / 4.0;
        record.responseBytes = random.bounded(5000);
        record.toolCallCount = random.bounded(4);
        records.append(record);
    }
    if (count > 3)
        records[3].outcome = Outcome::Pending;
    return records;
}

void compareRecords(const RequestRecord& actual, const RequestRecord& expected)
{
    QCOMPARE(actual.id, expected.id);
    QCOMPARE(actual.user, expected.user);
    QCOMPARE(actual.cycle, expected.cycle);
    QCOMPARE(actual.triggered, expected.triggered);
    QCOMPARE(actual.promptId, expected.promptId);
    QCOMPARE(actual.group, expected.group);
    QCOMPARE(actual.description, expected.description);
    QCOMPARE(actual.message, expected.message);
    QCOMPARE(aimload::modelLetter(actual.model), aimload::modelLetter(expected.model));
    QCOMPARE(aimload::endpointPath(actual.endpoint), aimload::endpointPath(expected.endpoint));
    QCOMPARE(actual.workflow, expected.workflow);
    QCOMPARE(actual.startedAt, expected.startedAt);
    QCOMPARE(actual.latencyMs, expected.latencyMs);
    QCOMPARE(actual.httpStatus, expected.httpStatus);
    QCOMPARE(actual.responseBytes, expected.responseBytes);
    QCOMPARE(aimload::outcomeName(actual.outcome), aimload::outcomeName(expected.outcome));
    QCOMPARE(actual.error, expected.error);
    QCOMPARE(actual.redirectTarget, expected.redirectTarget);
    QCOMPARE(actual.modelUsed, expected.modelUsed);
    QCOMPARE(std::isnan(actual.agentLatencySeconds), std::isnan(expected.agentLatencySeconds));
    if (!std::isnan(expected.agentLatencySeconds))
        QCOMPARE(actual.agentLatencySeconds, expected.agentLatencySeconds);
    QCOMPARE(actual.toolCallCount, expected.toolCallCount);
    QCOMPARE(actual.toolNames, expected.toolNames);
    QCOMPARE(actual.detail, expected.detail);
    QCOMPARE(actual.traceId, expected.traceId);
    QCOMPARE(actual.spanId, expected.spanId);
    QCOMPARE(actual.body, expected.body.left(Journal::BodyHeadBytes));
}

QList<RequestRecord> allRecords(const Journal& journal, qint64 runId)
{
    QList<RequestRecord> records;
    journal.forEachRecord(
        runId, [&records](const RequestRecord& record) { records.append(record); });
    return records;
}

QList<quint64> idsOf(const QList<RequestRecord>& records)
{
    QList<quint64> ids;
    for (const RequestRecord& record : records)
        ids.append(record.id);
    return ids;
}

// The journal's own connection, to break it from the outside. Only valid while one journal
// is open; the copy must be gone before the journal closes.
QSqlDatabase journalConnection()
{
    const QStringList names = QSqlDatabase::connectionNames();
    for (const QString& name : names) {
        if (name.startsWith(u"aimload.journal."_s))
            return QSqlDatabase::database(name, false);
    }
    return {};
}

// A second connection to a file, owned by a test, that can hold it locked.
class RawConnection
{
public:
    explicit RawConnection(const QString& path)
        : m_name(u"tst_journal.raw.%1"_s.arg(path))
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_name);
        db.setDatabaseName(path);
        db.open();
    }
    ~RawConnection()
    {
        QSqlDatabase::database(m_name, false).close();
        QSqlDatabase::removeDatabase(m_name);
    }
    // Returns the error, empty on success.
    QString exec(const QString& sql)
    {
        QSqlQuery query(QSqlDatabase::database(m_name, false));
        return query.exec(sql) ? QString() : query.lastError().text();
    }
    QVariant value(const QString& sql)
    {
        QSqlQuery query(QSqlDatabase::database(m_name, false));
        return query.exec(sql) && query.next() ? query.value(0) : QVariant();
    }

private:
    QString m_name;
};

// Makes a path read-only even for root: root ignores permission bits, not the immutable flag.
class ReadOnlyPath
{
public:
    explicit ReadOnlyPath(const QString& path)
        : m_path(path)
    {
#ifdef Q_OS_LINUX
        if (geteuid() == 0) {
            m_immutable = setImmutable(true);
            m_ok = m_immutable;
            return;
        }
#endif
        m_permissions = QFile::permissions(path);
        m_ok = QFile::setPermissions(
            path, QFileDevice::ReadOwner | QFileDevice::ExeOwner | QFileDevice::ReadGroup);
    }
    ~ReadOnlyPath()
    {
        if (m_immutable)
            setImmutable(false);
        else if (m_ok)
            QFile::setPermissions(m_path, m_permissions);
    }
    bool isReadOnly() const
    {
        return m_ok;
    }

private:
    bool setImmutable([[maybe_unused]] bool on)
    {
#ifdef Q_OS_LINUX
        const int fd = ::open(QFile::encodeName(m_path).constData(), O_RDONLY | O_NONBLOCK);
        if (fd < 0)
            return false;
        int flags = 0;
        bool done = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        done = done && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
        ::close(fd);
        return done;
#else
        return false;
#endif
    }

    QString m_path;
    QFileDevice::Permissions m_permissions;
    bool m_immutable = false;
    bool m_ok = false;
};

} // namespace

class JournalTest : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void roundTripsEveryField_data();
    void roundTripsEveryField();
    void createsMissingDirectories();
    void setsSchemaVersionAndWriteAheadLog();
    void listsRunsNewestFirstWithCounts();
    void streamsRecordsInStartOrder();
    void recentRecordsAreTheLastOldestFirst_data();
    void recentRecordsAreTheLastOldestFirst();
    void recordsSkippedSlots();
    void upgradesAFirstVersionJournal();
    void reopeningKeepsEverything();
    void twoJournalsShareOneFile();
    void badPathFailsWithOneLine_data();
    void badPathFailsWithOneLine();
    void writeFailureStopsWritingOnce_data();
    void writeFailureStopsWritingOnce();
    void statsRowsEqualTheAggregator_data();
    void statsRowsEqualTheAggregator();
    void measureLoadingHistory();

private:
    QString journalPath() const { return m_dir->filePath(u"journal.sqlite"_s); }

    std::unique_ptr<QTemporaryDir> m_dir; // a fresh one for each test
};

void JournalTest::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    // A query left alive past its journal would make removeDatabase() warn.
    QTest::failOnWarning(QRegularExpression(u"removeDatabase|still in use"_s));
}

void JournalTest::cleanup()
{
    m_dir.reset();
}

void JournalTest::roundTripsEveryField_data()
{
    QTest::addColumn<RequestRecord>("record");

    QTest::newRow("everyField") << fullRecord();

    RequestRecord record = fullRecord();
    record.agentLatencySeconds = std::nan("");
    QTest::newRow("nanAgentLatency") << record;

    record = fullRecord();
    record.message
        = u"Deploy 🚀 to \"prod\" — it's naïve\nsecond line\r\n\ttabbed ‘quoted’ 日本語"_s;
    record.error = u"agent said: \"no\"; 'why?' 🤷\nline 2"_s;
    record.detail = u"détail «ici» \\ backslash % percent _ underscore"_s;
    record.toolNames = {u"say \"hi\""_s, u"日本"_s, u"a,b"_s, u"[x]"_s};
    QTest::newRow("unicodeQuotesNewlines") << record;

    record = fullRecord();
    record.message = QString();
    record.error = QString();
    record.description = u""_s;
    record.toolNames.clear();
    record.traceId.clear();
    record.spanId.clear();
    record.body.clear();
    QTest::newRow("emptyMessageAndFields") << record;

    record = fullRecord();
    record.startedAt = QDateTime();
    QTest::newRow("noStartTime") << record;

    record = fullRecord();
    record.body = QByteArray(10000, 'x');
    QTest::newRow("bodyKeepsItsFirst4KiB") << record;

    record = fullRecord();
    record.outcome = Outcome::HttpError;
    record.httpStatus = 302;
    record.redirectTarget = u"https://login.example.com/?next=/chat"_s;
    record.error = u"HTTP 302 Found"_s;
    record.detail = u"redirected"_s;
    record.endpoint = Endpoint::Chat;
    record.model = Model::A;
    QTest::newRow("redirect") << record;

    record = fullRecord();
    record.outcome = Outcome::Cancelled;
    record.httpStatus = 0;
    record.latencyMs = 0.0;
    QTest::newRow("cancelled") << record;

    record = fullRecord();
    record.id = std::numeric_limits<quint64>::max();
    record.cycle = std::numeric_limits<quint64>::max() - 1;
    record.responseBytes = std::numeric_limits<qint64>::max();
    record.latencyMs = 1e-3;
    QTest::newRow("extremes") << record;
}

void JournalTest::roundTripsEveryField()
{
    QFETCH(RequestRecord, record);

    Journal journal;
    QString error;
    QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    const qint64 runId = journal.beginRun({});
    QVERIFY(runId > 0);
    journal.record(runId, record);
    QVERIFY(journal.isWriting());

    const QList<RequestRecord> records = allRecords(journal, runId);
    QCOMPARE(records.size(), 1);
    compareRecords(records.first(), record);

    // The lighter reads: everything but the body, and what the statistics need.
    QList<RequestRecord> light;
    const auto collect = [&light](const RequestRecord& read) {
        light.append(read);
    };
    journal.forEachRecord(runId, collect, Journal::RecordParts::WithoutBody);
    QCOMPARE(light.size(), 1);
    RequestRecord withoutBody = record;
    withoutBody.body.clear();
    compareRecords(light.first(), withoutBody);

    light.clear();
    journal.forEachRecord(runId, collect, Journal::RecordParts::Statistics);
    QCOMPARE(light.size(), 1);
    const RequestRecord& stats = light.first();
    QCOMPARE(stats.group, record.group);
    QCOMPARE(stats.model, record.model);
    QCOMPARE(stats.outcome, record.outcome);
    QCOMPARE(stats.latencyMs, record.latencyMs);
    QCOMPARE(stats.responseBytes, record.responseBytes);
    QCOMPARE(stats.toolCallCount, record.toolCallCount);
    QCOMPARE(stats.cycle, record.cycle);
    QCOMPARE(stats.startedAt, record.startedAt);
    QVERIFY(stats.message.isEmpty() && stats.traceId.isEmpty() && stats.body.isEmpty());

    // One answer read back on its own, found by start, cycle, model and id.
    const std::optional<QByteArray> head = journal.bodyHead(runId, record);
    QVERIFY(head.has_value());
    QCOMPARE(*head, record.body.left(Journal::BodyHeadBytes));
    RequestRecord other = record;
    other.model = record.model == Model::A ? Model::B : Model::A;
    QVERIFY(!journal.bodyHead(runId, other).has_value());
    other = record;
    ++other.cycle;
    QVERIFY(!journal.bodyHead(runId, other).has_value());
    QVERIFY(!journal.bodyHead(runId + 1, record).has_value());
}

void JournalTest::createsMissingDirectories()
{
    const QString path = m_dir->filePath(u"a/b/c/journal.sqlite"_s);
    Journal journal;
    QString error;
    QVERIFY2(journal.open(path, &error), qPrintable(error));
    QVERIFY(QFile::exists(path));
    QCOMPARE(journal.path(), path);
    QVERIFY(journal.isWriting());
}

void JournalTest::setsSchemaVersionAndWriteAheadLog()
{
    {
        Journal journal;
        QString error;
        QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    }
    RawConnection raw(journalPath());
    QCOMPARE(raw.value(u"PRAGMA user_version"_s).toInt(), Journal::SchemaVersion);
    QCOMPARE(raw.value(u"PRAGMA application_id"_s).toInt(), 0x61696d6c);
    QCOMPARE(raw.value(u"PRAGMA journal_mode"_s).toString(), u"wal"_s);
}

void JournalTest::listsRunsNewestFirstWithCounts()
{
    Journal journal;
    QString error;
    QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    QCOMPARE(journal.latestRunId(), -1);
    QVERIFY(journal.runs().isEmpty());

    RunInfo first;
    first.startedAt = utc(1, 8, 0, 0);
    first.agentUrl = u"http://agent:8000"_s;
    first.options = u"pacing 12m, A/B sequential, 1 user(s)"_s;
    first.poolSummary = u"3 groups, 12 prompts"_s;
    first.seed = 0xfedcba9876543210ULL; // above the signed 64-bit range
    const qint64 firstId = journal.beginRun(first);
    for (quint64 id = 1; id <= 10; ++id)
        journal.record(firstId, numberedRecord(id));
    RequestRecord cancelled = numberedRecord(11);
    cancelled.outcome = Outcome::Cancelled;
    journal.record(firstId, cancelled);
    journal.endRun(firstId, u"cycle limit reached"_s);

    RunInfo second;
    second.startedAt = utc(2, 8, 0, 0);
    second.seed = 7;
    const qint64 secondId = journal.beginRun(second);
    journal.record(secondId, numberedRecord(5));

    const QList<RunInfo> runs = journal.runs();
    QCOMPARE(runs.size(), 2);
    QCOMPARE(journal.latestRunId(), secondId);
    QCOMPARE(runs.at(0).id, secondId);
    QCOMPARE(runs.at(0).requests, 1);
    QCOMPARE(runs.at(0).failures, 1);
    QVERIFY(!runs.at(0).endedAt.isValid());
    QVERIFY(runs.at(0).endReason.isEmpty());
    QCOMPARE(runs.at(0).seed, 7u);

    const RunInfo& run = runs.at(1);
    QCOMPARE(run.id, firstId);
    QCOMPARE(run.startedAt, first.startedAt);
    QVERIFY(run.endedAt.isValid());
    QCOMPARE(run.endReason, u"cycle limit reached"_s);
    QCOMPARE(run.agentUrl, first.agentUrl);
    QCOMPARE(run.options, first.options);
    QCOMPARE(run.poolSummary, first.poolSummary);
    QCOMPARE(run.seed, first.seed);
    QCOMPARE(run.requests, 10); // the cancelled one is not a request in the statistics
    QCOMPARE(run.failures, 2); // ids 5 and 10

    // Started again, the first run has no end until it stops once more.
    journal.resumeRun(firstId);
    QVERIFY(!journal.runs().at(1).endedAt.isValid());
    QVERIFY(journal.runs().at(1).endReason.isEmpty());
    QCOMPARE(journal.runs().at(1).requests, 10);
    journal.endRun(firstId, u"stopped"_s);
    QVERIFY(journal.runs().at(1).endedAt.isValid());
    QCOMPARE(journal.runs().at(1).endReason, u"stopped"_s);
    QVERIFY(!journal.runs().at(0).endedAt.isValid()); // the other run is untouched
}

void JournalTest::streamsRecordsInStartOrder()
{
    Journal journal;
    QString error;
    QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    const qint64 runId = journal.beginRun({});
    const qint64 otherRunId = journal.beginRun({});

    // Requests finish, and are recorded, in another order than they started.
    for (const quint64 id : {3, 1, 2, 6, 5, 4})
        journal.record(runId, numberedRecord(id));
    journal.record(otherRunId, numberedRecord(99));
    // Two requests that left in the same millisecond keep the order they were recorded in.
    RequestRecord sameTime = numberedRecord(7);
    sameTime.startedAt = numberedRecord(6).startedAt;
    journal.record(runId, sameTime);

    const QList<quint64> expected {1, 2, 3, 4, 5, 6, 7};
    QCOMPARE(idsOf(allRecords(journal, runId)), expected);
    QCOMPARE(idsOf(allRecords(journal, otherRunId)), QList<quint64> {99});
    QVERIFY(allRecords(journal, otherRunId + 1).isEmpty());
}

void JournalTest::recentRecordsAreTheLastOldestFirst_data()
{
    QTest::addColumn<int>("limit");
    QTest::addColumn<QList<quint64>>("expected");

    QTest::newRow("lastThree") << 3 << QList<quint64> {8, 9, 10};
    QTest::newRow("one") << 1 << QList<quint64> {10};
    QTest::newRow("moreThanThereAre") << 50 << QList<quint64> {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    QTest::newRow("none") << 0 << QList<quint64> {};
}

void JournalTest::recentRecordsAreTheLastOldestFirst()
{
    QFETCH(int, limit);
    QFETCH(QList<quint64>, expected);

    Journal journal;
    QString error;
    QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    const qint64 runId = journal.beginRun({});
    for (const quint64 id : {2, 1, 4, 3, 6, 5, 8, 7, 10, 9})
        journal.record(runId, numberedRecord(id));
    journal.record(journal.beginRun({}), numberedRecord(11));

    const QList<RequestRecord> records = journal.recentRecords(runId, limit);
    QCOMPARE(idsOf(records), expected);
    if (!records.isEmpty())
        compareRecords(records.last(), numberedRecord(10));
}

void JournalTest::recordsSkippedSlots()
{
    Journal journal;
    QString error;
    QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    const qint64 runId = journal.beginRun({});
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    journal.recordSkippedSlots(runId, 2, 41, 1, u"previous cycle still running"_s);
    journal.recordSkippedSlots(runId, 0, 42, 250, u"agent unhealthy"_s);
    journal.recordSkippedSlots(journal.beginRun({}), 1, 1, 7, u"other run"_s);

    const QList<aimload::SkippedSlot> skipped = journal.skippedSlots(runId);
    QCOMPARE(skipped.size(), 2);
    QCOMPARE(skipped.at(0).user, 2);
    QCOMPARE(skipped.at(0).slot, 41);
    QCOMPARE(skipped.at(0).count, 1);
    QCOMPARE(skipped.at(0).reason, u"previous cycle still running"_s);
    QVERIFY(skipped.at(0).at >= before);
    QVERIFY(skipped.at(0).at <= QDateTime::currentDateTimeUtc());
    QCOMPARE(skipped.at(1).slot, 42);
    QCOMPARE(skipped.at(1).count, 250);
    QCOMPARE(journal.skippedSlotCount(runId), 251);
    QCOMPARE(journal.skippedSlotCount(runId + 1), 7);
    QCOMPARE(journal.skippedSlotCount(runId + 2), 0);
}

// A journal written before skipped slots were stored as stretches: each old row is one
// slot, and the file goes on taking new rows.
void JournalTest::upgradesAFirstVersionJournal()
{
    const QString path = journalPath();
    {
        RawConnection raw(path);
        for (const QString& statement : aimload::journalMigrations().constFirst())
            QCOMPARE(raw.exec(statement), QString());
        QCOMPARE(raw.exec(u"PRAGMA application_id = %1"_s.arg(aimload::JournalApplicationId)),
            QString());
        QCOMPARE(raw.exec(u"PRAGMA user_version = 1"_s), QString());
        QCOMPARE(raw.exec(u"INSERT INTO runs VALUES (1, 0, NULL, NULL, 'http://a', '', '', 0)"_s),
            QString());
        QCOMPARE(raw.exec(u"INSERT INTO skipped_slots (run_id, user, slot, at, reason) "
                          "VALUES (1, 0, 5, 0, 'old'), (1, 0, 6, 0, 'old')"_s),
            QString());
    }

    Journal journal;
    QString error;
    QVERIFY2(journal.open(path, &error), qPrintable(error));
    QCOMPARE(journal.skippedSlotCount(1), 2);
    journal.recordSkippedSlots(1, 0, 9, 3, u"new"_s);
    const QList<aimload::SkippedSlot> skipped = journal.skippedSlots(1);
    QCOMPARE(skipped.size(), 3);
    QCOMPARE(skipped.at(0).count, 1);
    QCOMPARE(skipped.at(2).count, 3);
    QCOMPARE(journal.skippedSlotCount(1), 5);
    journal.close();
    RawConnection raw(path);
    QCOMPARE(raw.value(u"PRAGMA user_version"_s).toInt(), Journal::SchemaVersion);
}

void JournalTest::reopeningKeepsEverything()
{
    qint64 runId = -1;
    {
        Journal journal;
        QString error;
        QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
        runId = journal.beginRun({});
        journal.record(runId, fullRecord());
        for (quint64 id = 1; id <= 5; ++id)
            journal.record(runId, numberedRecord(id));
        journal.recordSkippedSlots(runId, 0, 3, 1, u"busy"_s);
        journal.endRun(runId, u"stopped"_s);
    }

    Journal journal;
    QString error;
    QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    QCOMPARE(journal.latestRunId(), runId);
    QCOMPARE(journal.runs().size(), 1);
    QCOMPARE(journal.runs().constFirst().endReason, u"stopped"_s);
    QCOMPARE(journal.runs().constFirst().requests, 6);
    const QList<RequestRecord> records = allRecords(journal, runId);
    QCOMPARE(idsOf(records), (QList<quint64> {1, 2, 3, 4, 5, 17}));
    compareRecords(records.last(), fullRecord());
    QCOMPARE(journal.skippedSlots(runId).size(), 1);

    const qint64 nextRunId = journal.beginRun({});
    QVERIFY(nextRunId > runId);
}

void JournalTest::twoJournalsShareOneFile()
{
    Journal first;
    Journal second;
    QString error;
    QVERIFY2(first.open(journalPath(), &error), qPrintable(error));
    QVERIFY2(second.open(journalPath(), &error), qPrintable(error));
    const qint64 firstRun = first.beginRun({});
    const qint64 secondRun = second.beginRun({});
    QVERIFY(firstRun != secondRun);
    first.record(firstRun, numberedRecord(1));
    second.record(secondRun, numberedRecord(2));

    QCOMPARE(second.runs().size(), 2);
    QCOMPARE(idsOf(second.recentRecords(firstRun, 5)), QList<quint64> {1});
    QVERIFY(first.isWriting());
    QVERIFY(second.isWriting());
}

void JournalTest::badPathFailsWithOneLine_data()
{
    QTest::addColumn<BadPath>("kind");
    QTest::addColumn<QString>("problem");

    QTest::newRow("directory") << BadPath::Directory << u"is a directory"_s;
    QTest::newRow("parentIsAFile") << BadPath::ParentIsFile << u"is not a directory"_s;
    QTest::newRow("readOnlyDirectory") << BadPath::ReadOnlyDirectory << u"read-only"_s;
    QTest::newRow("readOnlyFile") << BadPath::ReadOnlyFile << u"read-only"_s;
    QTest::newRow("garbage") << BadPath::Garbage << u"not an SQLite database"_s;
    QTest::newRow("otherDatabase") << BadPath::OtherDatabase << u"not an aimload journal"_s;
    QTest::newRow("newerSchema") << BadPath::NewerSchema << u"newer aimload"_s;
    QTest::newRow("lockedJournal") << BadPath::LockedJournal << u"locked"_s;
    QTest::newRow("lockedNewFile") << BadPath::LockedNewFile << u"locked"_s;
}

void JournalTest::badPathFailsWithOneLine()
{
    QFETCH(BadPath, kind);
    QFETCH(QString, problem);

    QString path = journalPath();
    std::unique_ptr<RawConnection> raw;
    std::unique_ptr<ReadOnlyPath> readOnly;
    switch (kind) {
    case BadPath::Directory:
        QVERIFY(QDir(m_dir->path()).mkpath(u"journal.sqlite"_s));
        break;
    case BadPath::ParentIsFile: {
        QFile file(m_dir->filePath(u"plain.txt"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        path = m_dir->filePath(u"plain.txt/sub/journal.sqlite"_s);
        break;
    }
    case BadPath::ReadOnlyDirectory:
    case BadPath::ReadOnlyFile: {
        const QString dir = m_dir->filePath(u"locked-down"_s);
        QVERIFY(QDir().mkpath(dir));
        path = dir + u"/journal.sqlite"_s;
        if (kind == BadPath::ReadOnlyFile) {
            Journal journal;
            QString error;
            QVERIFY2(journal.open(path, &error), qPrintable(error));
        }
        readOnly = std::make_unique<ReadOnlyPath>(kind == BadPath::ReadOnlyFile ? path : dir);
        if (!readOnly->isReadOnly())
            QSKIP("running as root on a file system without the immutable flag: nothing makes "
                  "a path read-only for root here");
        break;
    }
    case BadPath::Garbage: {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QRandomGenerator random(42);
        QByteArray garbage(4096, Qt::Uninitialized);
        random.fillRange(reinterpret_cast<quint32*>(garbage.data()), garbage.size() / 4);
        file.write(garbage);
        break;
    }
    case BadPath::OtherDatabase:
        raw = std::make_unique<RawConnection>(path);
        QCOMPARE(raw->exec(u"CREATE TABLE notes (text TEXT)"_s), QString());
        break;
    case BadPath::NewerSchema: {
        {
            Journal journal;
            QString error;
            QVERIFY2(journal.open(path, &error), qPrintable(error));
        }
        raw = std::make_unique<RawConnection>(path);
        QCOMPARE(
            raw->exec(u"PRAGMA user_version = %1"_s.arg(Journal::SchemaVersion + 1)), QString());
        break;
    }
    case BadPath::LockedJournal:
    case BadPath::LockedNewFile:
        if (kind == BadPath::LockedJournal) {
            Journal journal;
            QString error;
            QVERIFY2(journal.open(path, &error), qPrintable(error));
        }
        raw = std::make_unique<RawConnection>(path);
        QCOMPARE(raw->exec(u"BEGIN EXCLUSIVE"_s), QString());
        break;
    }

    Journal journal;
    journal.setBusyTimeout(std::chrono::milliseconds(200));
    QString error;
    QVERIFY(!journal.open(path, &error));
    QVERIFY2(error.contains(path), qPrintable(error));
    QVERIFY2(error.contains(problem), qPrintable(error));
    QVERIFY2(!error.contains(u'\n'), qPrintable(error));
    QVERIFY(!journal.isOpen());
    QVERIFY(!journal.isWriting());
    QCOMPARE(journal.beginRun({}), -1);
    QVERIFY(journal.runs().isEmpty());
}

void JournalTest::writeFailureStopsWritingOnce_data()
{
    QTest::addColumn<QString>("breakIt");
    QTest::addColumn<QString>("problem");

    // max_page_count caps the file where it is: the next page SQLite needs fails exactly
    // like a full disk (SQLITE_FULL).
    QTest::newRow("diskFull") << u"PRAGMA max_page_count = %1"_s << u"disk is full"_s;
    QTest::newRow("readOnly") << u"PRAGMA query_only = ON"_s << u"read-only"_s;
}

void JournalTest::writeFailureStopsWritingOnce()
{
    QFETCH(QString, breakIt);
    QFETCH(QString, problem);

    Journal journal;
    QString error;
    QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    QSignalSpy failed(&journal, &Journal::failed);
    const qint64 runId = journal.beginRun({});
    journal.record(runId, numberedRecord(1));
    {
        QSqlDatabase db = journalConnection();
        QVERIFY(db.isOpen());
        QSqlQuery query(db);
        QVERIFY(query.exec(u"PRAGMA page_count"_s) && query.next());
        const QString pageCount = query.value(0).toString();
        QVERIFY2(query.exec(breakIt.contains(u"%1"_s) ? breakIt.arg(pageCount) : breakIt),
            qPrintable(query.lastError().text()));
    }

    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"^Stopped writing the journal"_s));
    quint64 lastWritten = 1;
    for (quint64 id = 2; id <= 500; ++id) {
        journal.record(runId, numberedRecord(id, u"a-group-name-to-fill-pages-quickly"_s));
        if (!journal.isWriting())
            break;
        lastWritten = id;
    }
    QVERIFY(!journal.isWriting());
    QCOMPARE(failed.size(), 1);
    const QString message = failed.constFirst().constFirst().toString();
    QVERIFY2(message.contains(journalPath()), qPrintable(message));
    QVERIFY2(message.contains(problem), qPrintable(message));
    QVERIFY2(!message.contains(u'\n'), qPrintable(message));
    QCOMPARE(journal.errorString(), message);

    // Everything after the failure is a harmless no-op; what was written stays readable.
    journal.record(runId, numberedRecord(1000));
    journal.recordSkippedSlots(runId, 0, 1, 1, u"late"_s);
    journal.endRun(runId, u"stopped"_s);
    QCOMPARE(journal.beginRun({}), -1);
    QCOMPARE(failed.size(), 1);
    QVERIFY(journal.isOpen());
    QVERIFY(!journal.recentRecords(runId, 1).isEmpty());
    QCOMPARE(journal.recentRecords(runId, 1).constFirst().id, lastWritten);
}

void JournalTest::statsRowsEqualTheAggregator_data()
{
    QTest::addColumn<QList<RequestRecord>>("records");
    QTest::addColumn<QStringList>("groupOrder");

    const QStringList poolOrder {u"search"_s, u"chat"_s, u"repair"_s};
    QTest::newRow("empty") << QList<RequestRecord>() << poolOrder;
    QTest::newRow("oneRequest") << QList<RequestRecord> {numberedRecord(1)} << poolOrder;
    QTest::newRow("onlyCancelled") << [] {
        RequestRecord record = numberedRecord(1);
        record.outcome = Outcome::Cancelled;
        return QList<RequestRecord> {record};
    }() << poolOrder;
    QTest::newRow("mixedInPoolOrder") << mixedRecords(2000, 7) << poolOrder;
    QTest::newRow("groupsAsFirstRecorded") << mixedRecords(500, 8) << QStringList();
    QTest::newRow("partlyKnownGroups") << mixedRecords(300, 9) << QStringList {u"repair"_s};
}

void JournalTest::statsRowsEqualTheAggregator()
{
    QFETCH(QList<RequestRecord>, records);
    QFETCH(QStringList, groupOrder);

    Journal journal;
    QString error;
    QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    const qint64 runId = journal.beginRun({});
    journal.record(journal.beginRun({}), numberedRecord(1, u"other-run"_s));
    aimload::StatsAggregator stats;
    stats.setGroupOrder(groupOrder);
    for (const RequestRecord& record : std::as_const(records)) {
        journal.record(runId, record);
        stats.add(record);
    }

    compareStatsRows(journal.statsRows(runId, groupOrder), aggregatorRows(stats));
}

void JournalTest::measureLoadingHistory()
{
    const int rows = qEnvironmentVariableIntValue("AIMLOAD_JOURNAL_BENCH_ROWS");
    if (rows <= 0)
        QSKIP("a measurement, not a test: set AIMLOAD_JOURNAL_BENCH_ROWS=1000000 to run it");
    bool bodySet = false;
    int bodyBytes = qEnvironmentVariableIntValue("AIMLOAD_JOURNAL_BENCH_BODY", &bodySet);
    bodyBytes = bodySet ? bodyBytes : 1024;

    Journal journal;
    QString error;
    QVERIFY2(journal.open(journalPath(), &error), qPrintable(error));
    const qint64 runId = journal.beginRun({});
    // A month at 720 s pacing goes through record(); the rest, if asked for, through SQL.
    const int recorded = std::min(rows, 7200);
    QElapsedTimer timer;
    timer.start();
    for (int id = 1; id <= recorded; ++id)
        journal.record(runId, benchRecord(quint64(id), bodyBytes));
    qCInfo(lcBench, "record(): %d rows in %lld ms (%.1f us each), body %d bytes", recorded,
        timer.elapsed(), double(timer.nsecsElapsed()) / 1000.0 / recorded, bodyBytes);
    if (rows > recorded) {
        timer.restart();
        QSqlQuery fill(journalConnection());
        QVERIFY2(fill.exec(benchFillSql().arg(recorded + 1).arg(rows).arg(runId).arg(bodyBytes)),
            qPrintable(fill.lastError().text()));
        qCInfo(lcBench, "SQL fill: %d more rows in %lld ms", rows - recorded, timer.elapsed());
    }
    qCInfo(lcBench, "file: %lld MiB", QFileInfo(journalPath()).size() / (1024 * 1024));

    timer.restart();
    aimload::StatsAggregator stats;
    journal.forEachRecord(runId, [&stats](const RequestRecord& record) { stats.add(record); });
    qCInfo(
        lcBench, "forEachRecord() into StatsAggregator: %d rows in %lld ms", rows, timer.elapsed());
    QCOMPARE(stats.total().requests, rows);

    timer.restart();
    const QList<aimload::StatsRow> sqlRows = journal.statsRows(runId);
    qCInfo(lcBench, "statsRows() in SQL: %lld rows in %lld ms", qint64(sqlRows.size()),
        timer.elapsed());
    compareStatsRows(sqlRows, aggregatorRows(stats));
}

QTEST_GUILESS_MAIN(JournalTest)
#include "tst_journal.moc"
