#include "storage/journal.h"

#include "storage/journalschema.h"
#include "storage/runstats.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QScopeGuard>
#include <QSqlError>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

Q_LOGGING_CATEGORY(lcJournal, "aimload.journal", QtWarningMsg)

namespace aimload {

namespace {

// SQLite's primary result codes; an extended code carries one in its low byte.
enum SqliteCode
{
    SqlitePerm = 3,
    SqliteBusy = 5,
    SqliteLocked = 6,
    SqliteReadOnly = 8,
    SqliteIoError = 10,
    SqliteCorrupt = 11,
    SqliteFull = 13,
    SqliteCantOpen = 14,
    SqliteNotADatabase = 26,
};

const QString RequestColumns = u"request_id, user, cycle, triggered, prompt_id, grp, "
                               "description, message, model, endpoint, workflow, "
                               "started_at, latency_ms, http_status, response_bytes, "
                               "outcome, error, redirect_target, model_used, "
                               "agent_latency_seconds, tool_call_count, tool_names, "
                               "detail, trace_id, span_id, body_head"_s;

// RequestColumns with the columns a part leaves out read as empty: the same positions for
// recordFromRow(), without reading or converting what is not wanted.
QString requestColumns(Journal::RecordParts parts)
{
    if (parts == Journal::RecordParts::All)
        return RequestColumns;
    QString columns = RequestColumns;
    columns.replace(u"body_head"_s, u"NULL"_s);
    if (parts == Journal::RecordParts::WithoutBody)
        return columns;
    for (const QString& column : {u"prompt_id"_s, u"description"_s, u"message"_s, u"workflow"_s,
             u"error"_s, u"redirect_target"_s, u"model_used"_s, u"tool_names"_s, u"detail"_s,
             u"trace_id"_s, u"span_id"_s})
        columns.replace(column, u"''"_s);
    return columns;
}

// The columns of RequestColumns, in order.
enum RequestColumn
{
    ColumnRequestId,
    ColumnUser,
    ColumnCycle,
    ColumnTriggered,
    ColumnPromptId,
    ColumnGroup,
    ColumnDescription,
    ColumnMessage,
    ColumnModel,
    ColumnEndpoint,
    ColumnWorkflow,
    ColumnStartedAt,
    ColumnLatencyMs,
    ColumnHttpStatus,
    ColumnResponseBytes,
    ColumnOutcome,
    ColumnError,
    ColumnRedirectTarget,
    ColumnModelUsed,
    ColumnAgentLatency,
    ColumnToolCallCount,
    ColumnToolNames,
    ColumnDetail,
    ColumnTraceId,
    ColumnSpanId,
    ColumnBodyHead,
    ColumnCount
};

QString endpointName(Endpoint endpoint)
{
    return endpoint == Endpoint::Repair ? u"repair"_s : u"chat"_s;
}

Outcome outcomeFromName(const QString& name)
{
    for (const Outcome outcome :
        {Outcome::Ok, Outcome::HttpError, Outcome::Timeout, Outcome::ConnectionError,
            Outcome::InvalidResponse, Outcome::AgentFailure, Outcome::Cancelled}) {
        if (outcomeName(outcome) == name)
            return outcome;
    }
    return Outcome::Pending;
}

// A null QString would be stored as NULL; the text columns hold '' instead.
QVariant text(const QString& value)
{
    return value.isNull() ? QVariant(u""_s) : QVariant(value);
}

QVariant milliseconds(const QDateTime& time)
{
    return time.isValid() ? QVariant(time.toMSecsSinceEpoch()) : QVariant();
}

QDateTime utcTime(const QVariant& milliseconds)
{
    return milliseconds.isNull()
        ? QDateTime()
        : QDateTime::fromMSecsSinceEpoch(milliseconds.toLongLong(), Qt::UTC);
}

QString toolNamesJson(const QStringList& names)
{
    if (names.isEmpty())
        return u"[]"_s;
    return QString::fromUtf8(
        QJsonDocument(QJsonArray::fromStringList(names)).toJson(QJsonDocument::Compact));
}

QStringList toolNamesFromJson(const QString& json)
{
    QStringList names;
    if (json.isEmpty() || json == u"[]"_s)
        return names;
    const QJsonArray array = QJsonDocument::fromJson(json.toUtf8()).array();
    for (const QJsonValue& name : array)
        names.append(name.toString());
    return names;
}

RequestRecord recordFromRow(const QSqlQuery& query)
{
    RequestRecord record;
    record.id = quint64(query.value(ColumnRequestId).toLongLong());
    record.user = query.value(ColumnUser).toInt();
    record.cycle = quint64(query.value(ColumnCycle).toLongLong());
    record.triggered = query.value(ColumnTriggered).toInt() != 0;
    record.promptId = query.value(ColumnPromptId).toString();
    record.group = query.value(ColumnGroup).toString();
    record.description = query.value(ColumnDescription).toString();
    record.message = query.value(ColumnMessage).toString();
    record.model = query.value(ColumnModel).toString() == u"B"_s ? Model::B : Model::A;
    record.endpoint
        = query.value(ColumnEndpoint).toString() == u"repair"_s ? Endpoint::Repair : Endpoint::Chat;
    record.workflow = query.value(ColumnWorkflow).toString();
    record.startedAt = utcTime(query.value(ColumnStartedAt));
    record.latencyMs = query.value(ColumnLatencyMs).toDouble();
    record.httpStatus = query.value(ColumnHttpStatus).toInt();
    record.responseBytes = query.value(ColumnResponseBytes).toLongLong();
    record.outcome = outcomeFromName(query.value(ColumnOutcome).toString());
    record.error = query.value(ColumnError).toString();
    record.redirectTarget = query.value(ColumnRedirectTarget).toString();
    record.modelUsed = query.value(ColumnModelUsed).toString();
    const QVariant agentLatency = query.value(ColumnAgentLatency);
    record.agentLatencySeconds = agentLatency.isNull() ? std::nan("") : agentLatency.toDouble();
    record.toolCallCount = query.value(ColumnToolCallCount).toInt();
    record.toolNames = toolNamesFromJson(query.value(ColumnToolNames).toString());
    record.detail = query.value(ColumnDetail).toString();
    record.traceId = query.value(ColumnTraceId).toString();
    record.spanId = query.value(ColumnSpanId).toString();
    record.body = query.value(ColumnBodyHead).toByteArray();
    return record;
}

QString oneLine(QString text)
{
    return text.replace(u'\n', u' ').trimmed();
}

// Why the directory dir cannot be created: the nearest existing ancestor is a file, or
// is read-only.
QString whyNoDirectory(const QString& dir)
{
    QFileInfo ancestor(dir);
    while (!ancestor.exists() && !ancestor.isRoot())
        ancestor.setFile(ancestor.absolutePath());
    if (!ancestor.isDir())
        return Journal::tr("cannot create the directory %1: %2 is not a directory")
            .arg(dir, ancestor.absoluteFilePath());
    if (!ancestor.isWritable())
        return Journal::tr("cannot create the directory %1: %2 is read-only")
            .arg(dir, ancestor.absoluteFilePath());
    return Journal::tr("cannot create the directory %1").arg(dir);
}

} // namespace

Journal::Journal(QObject* parent)
    : QObject(parent)
{
    static QAtomicInteger<quint64> instances;
    m_connectionName = u"aimload.journal.%1"_s.arg(instances.fetchAndAddRelaxed(1));
}

Journal::~Journal()
{
    close();
}

void Journal::setBusyTimeout(std::chrono::milliseconds timeout)
{
    m_busyTimeout = timeout;
}

bool Journal::open(const QString& path, QString* error)
{
    close();
    m_path = QFileInfo(path).absoluteFilePath();
    m_error.clear();

    QString problem = checkPath();
    if (problem.isEmpty() && openDatabase(&problem) && migrate(&problem)
        && prepareWrites(&problem)) {
        m_writing = true;
        qCDebug(lcJournal) << "journal open:" << m_path;
        return true;
    }

    if (error)
        *error = tr("Cannot open the journal %1: %2").arg(m_path, problem);
    close();
    return false;
}

void Journal::close()
{
    m_writing = false;
    // Every query must be gone before the connection can be removed.
    m_insertRequest = QSqlQuery();
    m_insertSkippedSlot = QSqlQuery();
    if (m_db.isValid()) {
        m_db.close();
        m_db = QSqlDatabase();
        QSqlDatabase::removeDatabase(m_connectionName);
    }
}

QString Journal::checkPath() const
{
    const QFileInfo file(m_path);
    if (file.isDir())
        return tr("it is a directory");
    const QString dir = file.absolutePath();
    if (!QDir().mkpath(dir))
        return whyNoDirectory(dir);
    // The write-ahead log and its index live beside the file, so the directory must be
    // writable even when the file already exists.
    if (!QFileInfo(dir).isWritable())
        return tr("its directory %1 is read-only").arg(dir);
    if (file.exists() && !file.isWritable())
        return tr("the file is read-only");
    if (!QSqlDatabase::isDriverAvailable(u"QSQLITE"_s))
        return tr("the Qt SQLite driver (QSQLITE) is not installed");
    return {};
}

bool Journal::openDatabase(QString* problem)
{
    m_db = QSqlDatabase::addDatabase(u"QSQLITE"_s, m_connectionName);
    m_db.setDatabaseName(m_path);
    m_db.setConnectOptions(u"QSQLITE_BUSY_TIMEOUT=%1"_s.arg(m_busyTimeout.count()));
    if (!m_db.open()) {
        *problem = describe(m_db.lastError());
        return false;
    }

    QSqlQuery query(m_db);
    if (!query.exec(u"PRAGMA journal_mode = WAL"_s)) {
        *problem = describe(query.lastError());
        return false;
    }
    if (query.next() && query.value(0).toString() != u"wal"_s)
        qCWarning(lcJournal).noquote()
            << "no write-ahead log for" << m_path << "- SQLite kept the journal mode"
            << query.value(0).toString();
    // Each record() commits one transaction. In WAL mode, NORMAL writes the commit into the
    // log with write(2) before returning and leaves the fsync to checkpoints: the data is
    // then in the kernel, so a crashed or killed process loses nothing. Only an OS crash or
    // power cut can lose the last commits (never corrupt the file); FULL would pay an fsync
    // per request for that case alone.
    if (!query.exec(u"PRAGMA synchronous = NORMAL"_s)) {
        *problem = describe(query.lastError());
        return false;
    }
    return true;
}

bool Journal::migrate(QString* problem)
{
    QSqlQuery query(m_db);
    // IMMEDIATE takes the write lock now, so two processes opening one new file cannot
    // both create the schema; the busy timeout applies while waiting for it.
    if (!query.exec(u"BEGIN IMMEDIATE"_s)) {
        *problem = describe(query.lastError());
        return false;
    }
    bool committed = false;
    auto rollBack = qScopeGuard([this, &committed] {
        if (!committed)
            QSqlQuery(m_db).exec(u"ROLLBACK"_s);
    });

    const auto scalar = [&query](const QString& sql) {
        return query.exec(sql) && query.next() ? query.value(0).toLongLong() : -1;
    };
    const qint64 applicationId = scalar(u"PRAGMA application_id"_s);
    const qint64 version = scalar(u"PRAGMA user_version"_s);
    const qint64 objects = scalar(u"SELECT count(*) FROM sqlite_master"_s);
    if (applicationId < 0 || version < 0 || objects < 0) {
        *problem = describe(query.lastError());
        return false;
    }
    if (applicationId != JournalApplicationId
        && (applicationId != 0 || version != 0 || objects != 0)) {
        *problem = tr("it is an SQLite database, but not an aimload journal");
        return false;
    }
    if (version > SchemaVersion) {
        *problem = tr("it was written by a newer aimload (schema %1, this one knows up to %2)")
                       .arg(version)
                       .arg(SchemaVersion);
        return false;
    }

    Q_ASSERT(journalMigrations().size() == SchemaVersion);
    QStringList statements;
    for (qint64 step = version; step < SchemaVersion; ++step)
        statements += journalMigrations().at(step);
    statements.append(u"PRAGMA application_id = %1"_s.arg(JournalApplicationId));
    statements.append(u"PRAGMA user_version = %1"_s.arg(SchemaVersion));
    statements.append(u"COMMIT"_s);
    for (const QString& statement : std::as_const(statements)) {
        if (!query.exec(statement)) {
            *problem = describe(query.lastError());
            return false;
        }
    }
    committed = true;
    if (version < SchemaVersion)
        qCDebug(lcJournal) << "journal schema" << version << "->" << SchemaVersion << m_path;
    return true;
}

bool Journal::prepareWrites(QString* problem)
{
    // run_id, in_stats and failed, then the record's own columns.
    const QStringList placeholders(3 + ColumnCount, u"?"_s);
    const QString insertRequest
        = u"INSERT INTO requests (run_id, in_stats, failed, %1) VALUES (%2)"_s.arg(
            RequestColumns, placeholders.join(u", "_s));
    const QString insertSkippedSlot = u"INSERT INTO skipped_slots (run_id, user, slot, at, "
                                      "reason, count) VALUES (?, ?, ?, ?, ?, ?)"_s;
    m_insertRequest = QSqlQuery(m_db);
    m_insertSkippedSlot = QSqlQuery(m_db);
    if (m_insertRequest.prepare(insertRequest) && m_insertSkippedSlot.prepare(insertSkippedSlot))
        return true;

    *problem = describe(m_insertRequest.lastError().isValid() ? m_insertRequest.lastError()
                                                              : m_insertSkippedSlot.lastError());
    return false;
}

QString Journal::describe(const QSqlError& error) const
{
    switch (error.nativeErrorCode().toInt() & 0xff) {
    case SqliteBusy:
    case SqliteLocked:
        return tr("another process holds it locked (waited %1 ms)").arg(m_busyTimeout.count());
    case SqliteReadOnly:
        return tr("it is read-only");
    case SqliteFull:
        return tr("the disk is full");
    case SqliteCorrupt:
    case SqliteNotADatabase:
        return tr("it is not an SQLite database, or it is corrupt");
    case SqlitePerm:
        return tr("permission denied");
    case SqliteCantOpen:
        return tr("the file cannot be opened (%1)").arg(oneLine(error.databaseText()));
    case SqliteIoError:
        return tr("input/output error (%1)").arg(oneLine(error.databaseText()));
    default:
        break;
    }
    return oneLine(error.databaseText().isEmpty() ? error.text() : error.databaseText());
}

bool Journal::write(QSqlQuery& query)
{
    if (query.exec())
        return true;
    fail(query.lastError());
    return false;
}

void Journal::fail(const QSqlError& error)
{
    if (!m_writing)
        return;
    m_writing = false;
    m_error = tr("Stopped writing the journal %1: %2").arg(m_path, describe(error));
    qCWarning(lcJournal).noquote() << m_error;
    Q_EMIT failed(m_error);
}

qint64 Journal::beginRun(const RunInfo& info)
{
    if (!m_writing)
        return -1;

    QSqlQuery query(m_db);
    if (!query.prepare(u"INSERT INTO runs (started_at, agent_url, options, pool_summary, seed) "
                       "VALUES (?, ?, ?, ?, ?)"_s)) {
        fail(query.lastError());
        return -1;
    }
    const QDateTime startedAt
        = info.startedAt.isValid() ? info.startedAt : QDateTime::currentDateTimeUtc();
    query.addBindValue(startedAt.toMSecsSinceEpoch());
    query.addBindValue(text(info.agentUrl));
    query.addBindValue(text(info.options));
    query.addBindValue(text(info.poolSummary));
    // SQLite integers are signed; the seed's bits are kept as they are.
    query.addBindValue(qint64(info.seed));
    if (!write(query))
        return -1;
    return query.lastInsertId().toLongLong();
}

void Journal::endRun(qint64 runId, const QString& reason)
{
    if (!m_writing)
        return;

    QSqlQuery query(m_db);
    if (!query.prepare(u"UPDATE runs SET ended_at = ?, end_reason = ? WHERE id = ?"_s)) {
        fail(query.lastError());
        return;
    }
    query.addBindValue(QDateTime::currentMSecsSinceEpoch());
    query.addBindValue(text(reason));
    query.addBindValue(runId);
    write(query);
}

void Journal::resumeRun(qint64 runId)
{
    if (!m_writing)
        return;

    QSqlQuery query(m_db);
    if (!query.prepare(u"UPDATE runs SET ended_at = NULL, end_reason = NULL "
                       "WHERE id = ? AND ended_at IS NOT NULL"_s)) {
        fail(query.lastError());
        return;
    }
    query.addBindValue(runId);
    write(query);
}

void Journal::record(qint64 runId, const RequestRecord& record)
{
    if (!m_writing)
        return;

    const bool inStats = record.finished() && record.outcome != Outcome::Cancelled;
    const QList<QVariant> values {runId, int(inStats), int(inStats && isFailure(record.outcome)),
        qint64(record.id), record.user, qint64(record.cycle), int(record.triggered),
        text(record.promptId), text(record.group), text(record.description), text(record.message),
        QString(modelLetter(record.model).toUpper()), endpointName(record.endpoint),
        text(record.workflow), milliseconds(record.startedAt), record.latencyMs, record.httpStatus,
        record.responseBytes, outcomeName(record.outcome), text(record.error),
        text(record.redirectTarget), text(record.modelUsed),
        std::isnan(record.agentLatencySeconds) ? QVariant() : record.agentLatencySeconds,
        record.toolCallCount, toolNamesJson(record.toolNames), text(record.detail),
        text(record.traceId), text(record.spanId), record.body.left(BodyHeadBytes)};
    Q_ASSERT(values.size() == 3 + ColumnCount);
    for (qsizetype i = 0; i < values.size(); ++i)
        m_insertRequest.bindValue(int(i), values.at(i));
    write(m_insertRequest);
}

void Journal::recordSkippedSlots(
    qint64 runId, int user, qint64 firstSlot, qint64 count, const QString& reason)
{
    if (!m_writing)
        return;

    m_insertSkippedSlot.bindValue(0, runId);
    m_insertSkippedSlot.bindValue(1, user);
    m_insertSkippedSlot.bindValue(2, firstSlot);
    m_insertSkippedSlot.bindValue(3, QDateTime::currentMSecsSinceEpoch());
    m_insertSkippedSlot.bindValue(4, text(reason));
    m_insertSkippedSlot.bindValue(5, count);
    write(m_insertSkippedSlot);
}

QSqlQuery Journal::readQuery(const QString& sql, const QVariantList& values) const
{
    QSqlQuery query(m_db);
    // Forward only: rows are stepped one at a time instead of being cached.
    query.setForwardOnly(true);
    if (!query.prepare(sql)) {
        qCWarning(lcJournal) << "cannot read" << m_path << query.lastError().text();
        return query;
    }
    for (const QVariant& value : values)
        query.addBindValue(value);
    if (!query.exec())
        qCWarning(lcJournal) << "cannot read" << m_path << query.lastError().text();
    return query;
}

QList<RunInfo> Journal::runs() const
{
    QList<RunInfo> runs;
    if (!isOpen())
        return runs;

    QSqlQuery query = readQuery(u"SELECT id, started_at, ended_at, end_reason, agent_url, "
                                "options, pool_summary, seed, coalesce(requests, 0), "
                                "coalesce(failures, 0) FROM runs LEFT JOIN "
                                "(SELECT run_id, sum(requests) AS requests, sum(failures) "
                                "AS failures FROM request_totals GROUP BY run_id) "
                                "ON run_id = id ORDER BY id DESC"_s);
    while (query.next()) {
        RunInfo run;
        run.id = query.value(0).toLongLong();
        run.startedAt = utcTime(query.value(1));
        run.endedAt = utcTime(query.value(2));
        run.endReason = query.value(3).toString();
        run.agentUrl = query.value(4).toString();
        run.options = query.value(5).toString();
        run.poolSummary = query.value(6).toString();
        run.seed = quint64(query.value(7).toLongLong());
        run.requests = query.value(8).toLongLong();
        run.failures = query.value(9).toLongLong();
        runs.append(run);
    }
    return runs;
}

qint64 Journal::latestRunId() const
{
    if (!isOpen())
        return -1;
    QSqlQuery query = readQuery(u"SELECT max(id) FROM runs"_s);
    if (!query.next() || query.value(0).isNull())
        return -1;
    return query.value(0).toLongLong();
}

void Journal::forEachRecord(
    qint64 runId, const std::function<void(const RequestRecord&)>& visit, RecordParts parts) const
{
    if (!isOpen())
        return;
    QSqlQuery query = readQuery(u"SELECT %1 FROM requests WHERE run_id = ? "
                                "ORDER BY started_at, id"_s.arg(requestColumns(parts)),
        {runId});
    while (query.next())
        visit(recordFromRow(query));
}

std::optional<QByteArray> Journal::bodyHead(qint64 runId, const RequestRecord& record) const
{
    if (!isOpen())
        return std::nullopt;
    QSqlQuery query = readQuery(u"SELECT body_head FROM requests WHERE run_id = ? AND "
                                "started_at IS ? AND cycle = ? AND model = ? AND request_id = ? "
                                "LIMIT 1"_s,
        {runId, milliseconds(record.startedAt), qint64(record.cycle),
            QString(modelLetter(record.model).toUpper()), qint64(record.id)});
    if (!query.next())
        return std::nullopt;
    return query.value(0).toByteArray();
}

QList<RequestRecord> Journal::recentRecords(qint64 runId, int limit) const
{
    QList<RequestRecord> records;
    if (!isOpen() || limit <= 0)
        return records;

    QSqlQuery query = readQuery(
        u"SELECT %1 FROM requests WHERE run_id = ? "
        "ORDER BY started_at DESC, id DESC LIMIT %2"_s.arg(RequestColumns, QString::number(limit)),
        {runId});
    while (query.next())
        records.append(recordFromRow(query));
    std::reverse(records.begin(), records.end());
    return records;
}

QList<SkippedSlot> Journal::skippedSlots(qint64 runId) const
{
    QList<SkippedSlot> skipped;
    if (!isOpen())
        return skipped;

    QSqlQuery query = readQuery(
        u"SELECT user, slot, count, at, reason FROM skipped_slots WHERE run_id = ? ORDER BY id"_s,
        {runId});
    while (query.next()) {
        skipped.append({query.value(0).toInt(), query.value(1).toLongLong(),
            query.value(2).toLongLong(), utcTime(query.value(3)), query.value(4).toString()});
    }
    return skipped;
}

qint64 Journal::skippedSlotCount(qint64 runId) const
{
    if (!isOpen())
        return 0;
    QSqlQuery query = readQuery(
        u"SELECT coalesce(sum(count), 0) FROM skipped_slots WHERE run_id = ?"_s, {runId});
    return query.next() ? query.value(0).toLongLong() : 0;
}

QList<StatsRow> Journal::statsRows(qint64 runId, const QStringList& groupOrder) const
{
    if (!isOpen())
        return {};
    return queryRunStats(m_db, runId, groupOrder);
}

} // namespace aimload
