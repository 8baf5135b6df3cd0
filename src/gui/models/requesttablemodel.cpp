#include "requesttablemodel.h"

#include "displayformat.h"
#include "sortkey.h"

#include <QJsonDocument>

#include <algorithm>
#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

constexpr std::chrono::milliseconds DefaultInterval {200};
// Tool names, model names and error texts repeat from one request to the next; sharing one
// copy of each saves a few hundred bytes a row. Past this many distinct texts, stop.
constexpr qsizetype MaxInterned = 4096;

bool isNumeric(int column)
{
    switch (column) {
    case RequestTableModel::Cycle:
    case RequestTableModel::Status:
    case RequestTableModel::Latency:
    case RequestTableModel::AgentLatency:
    case RequestTableModel::ToolCalls:
    case RequestTableModel::Size:
        return true;
    default:
        return false;
    }
}

} // namespace

RequestTableModel::RequestTableModel(QObject* parent)
    : QAbstractTableModel(parent)
{
    m_tick.setSingleShot(true);
    m_tick.setInterval(DefaultInterval);
    connect(&m_tick, &QTimer::timeout, this, &RequestTableModel::flush);
}

RequestTableModel::~RequestTableModel() = default;

int RequestTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

int RequestTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const RequestRecord& RequestTableModel::rowAt(int row) const
{
    return entryAt(row).record;
}

bool RequestTableModel::isBodyAvailable(int row) const
{
    return entryAt(row).bodyAvailable;
}

RequestTableModel::Entry& RequestTableModel::entryAt(int row)
{
    Q_ASSERT(row >= 0 && size_t(row) < m_entries.size());
    return m_entries[m_entries.size() - 1 - size_t(row)];
}

const RequestTableModel::Entry& RequestTableModel::entryAt(int row) const
{
    Q_ASSERT(row >= 0 && size_t(row) < m_entries.size());
    return m_entries[m_entries.size() - 1 - size_t(row)];
}

int RequestTableModel::rowOfSeq(quint64 seq) const
{
    return int(m_entries.size()) - 1 - int(seq - m_firstSeq);
}

RequestTableModel::Entry* RequestTableModel::entryOfSeq(quint64 seq)
{
    if (seq < m_firstSeq)
        return nullptr;
    const quint64 index = seq - m_firstSeq;
    if (index < m_entries.size())
        return &m_entries[index];
    if (index - m_entries.size() < m_pending.size())
        return &m_pending[index - m_entries.size()];
    return nullptr;
}

void RequestTableModel::setCapacity(int rows)
{
    m_capacity = std::max(1, rows);
    if (int(m_entries.size()) > m_capacity)
        removeOldest(int(m_entries.size()) - m_capacity);
}

std::chrono::milliseconds RequestTableModel::updateInterval() const
{
    return m_tick.intervalAsDuration();
}

void RequestTableModel::setUpdateInterval(std::chrono::milliseconds interval)
{
    m_tick.setInterval(interval);
}

void RequestTableModel::addStarted(const RequestRecord& record)
{
    if (m_inFlight.contains(record.id))
        return;
    queue(record);
}

void RequestTableModel::addFinished(const RequestRecord& record)
{
    const auto it = m_inFlight.constFind(record.id);
    if (it == m_inFlight.cend()) {
        queue(record);
        return;
    }

    const quint64 seq = it.value();
    m_inFlight.erase(it);
    // A row already shown changes at the next tick, together with its dataChanged.
    if (seq < m_firstSeq + m_entries.size())
        m_updates.insert(seq, record);
    else if (Entry* entry = entryOfSeq(seq))
        store(*entry, record);
    scheduleFlush();
}

void RequestTableModel::queue(const RequestRecord& record)
{
    Entry entry;
    store(entry, record);
    if (!record.finished())
        m_inFlight.insert(record.id, m_nextSeq);
    m_pending.push_back(std::move(entry));
    ++m_nextSeq;
    scheduleFlush();
}

void RequestTableModel::store(Entry& entry, const RequestRecord& record)
{
    entry.record = record;
    // Records read back from the journal share nothing: a month of them would hold the
    // same prompt texts thousands of times.
    entry.record.promptId = intern(record.promptId);
    entry.record.group = intern(record.group);
    entry.record.description = intern(record.description);
    entry.record.message = intern(record.message);
    entry.record.workflow = intern(record.workflow);
    entry.record.modelUsed = intern(record.modelUsed);
    entry.record.error = intern(record.error);
    for (QString& name : entry.record.toolNames)
        name = intern(name);
    entry.bodyAvailable = !record.body.isEmpty();
}

QString RequestTableModel::intern(const QString& text)
{
    if (text.isEmpty())
        return {};
    const auto it = m_strings.constFind(text);
    if (it != m_strings.cend())
        return *it;
    if (m_strings.size() < MaxInterned)
        m_strings.insert(text);
    return text;
}

void RequestTableModel::scheduleFlush()
{
    if (!m_tick.isActive())
        m_tick.start();
}

void RequestTableModel::flush()
{
    m_tick.stop();
    applyUpdates();
    insertPending();
    dropOldBodies();
    refreshInFlight();
    // Rows in flight show a running time, so the tick goes on while there are any.
    if (!m_inFlight.isEmpty())
        scheduleFlush();
}

void RequestTableModel::applyUpdates()
{
    QList<int> rows;
    rows.reserve(m_updates.size());
    for (auto it = m_updates.cbegin(); it != m_updates.cend(); ++it) {
        const quint64 seq = it.key();
        if (seq < m_firstSeq || seq >= m_firstSeq + m_entries.size())
            continue;
        Entry& entry = m_entries[seq - m_firstSeq];
        store(entry, it.value());
        if (seq < m_bodySeq) {
            entry.record.body = QByteArray();
            entry.bodyAvailable = false;
        }
        rows.append(rowOfSeq(seq));
    }
    m_updates.clear();
    emitRowRuns(rows, 0, ColumnCount - 1, {});
}

void RequestTableModel::insertPending()
{
    if (m_pending.empty())
        return;

    const qsizetype excess = qsizetype(m_entries.size() + m_pending.size()) - m_capacity;
    if (excess > 0) {
        const int fromShown = int(std::min<qsizetype>(excess, qsizetype(m_entries.size())));
        removeOldest(fromShown);
        // A batch bigger than the capacity: its oldest records are never shown.
        for (qsizetype i = fromShown; i < excess; ++i) {
            forgetInFlight(m_pending.front());
            m_pending.pop_front();
            ++m_firstSeq;
        }
    }

    const int count = int(m_pending.size());
    beginInsertRows(QModelIndex(), 0, count - 1);
    // One entry at a time, so that a large batch (a long run's history) is never held
    // twice: each pop frees what the next push needs.
    if (m_entries.empty()) {
        m_entries.swap(m_pending);
    } else {
        while (!m_pending.empty()) {
            m_entries.push_back(std::move(m_pending.front()));
            m_pending.pop_front();
        }
    }
    endInsertRows();
}

void RequestTableModel::removeOldest(int count)
{
    if (count <= 0)
        return;
    const int rows = int(m_entries.size());
    beginRemoveRows(QModelIndex(), rows - count, rows - 1);
    for (int i = 0; i < count; ++i) {
        forgetInFlight(m_entries.front());
        m_updates.remove(m_firstSeq);
        m_entries.pop_front();
        ++m_firstSeq;
    }
    endRemoveRows();
}

void RequestTableModel::forgetInFlight(const Entry& entry)
{
    if (!entry.record.finished())
        m_inFlight.remove(entry.record.id);
}

void RequestTableModel::dropOldBodies()
{
    const quint64 keepFrom = m_nextSeq > quint64(BodiesKept) ? m_nextSeq - BodiesKept : 0;
    m_bodySeq = std::max(m_bodySeq, m_firstSeq);
    if (m_bodySeq >= keepFrom)
        return;

    QList<int> rows;
    for (; m_bodySeq < keepFrom; ++m_bodySeq) {
        Entry* entry = entryOfSeq(m_bodySeq);
        if (!entry || !entry->bodyAvailable)
            continue;
        entry->record.body = QByteArray();
        entry->bodyAvailable = false;
        rows.append(rowOfSeq(m_bodySeq));
    }
    emitRowRuns(rows, 0, ColumnCount - 1, {BodyAvailableRole});
}

void RequestTableModel::refreshInFlight()
{
    QList<int> rows;
    for (const quint64 seq : std::as_const(m_inFlight)) {
        if (seq >= m_firstSeq && seq < m_firstSeq + m_entries.size())
            rows.append(rowOfSeq(seq));
    }
    emitRowRuns(rows, Latency, Latency, {Qt::DisplayRole, SortRole});
}

// One dataChanged per run of adjacent rows, so a proxy never re-sorts rows that did not
// change.
void RequestTableModel::emitRowRuns(
    QList<int> rows, int firstColumn, int lastColumn, const QList<int>& roles)
{
    std::sort(rows.begin(), rows.end());
    qsizetype start = 0;
    for (qsizetype i = 1; i <= rows.size(); ++i) {
        if (i < rows.size() && rows.at(i) == rows.at(i - 1) + 1)
            continue;
        if (start < rows.size())
            Q_EMIT dataChanged(
                index(rows.at(start), firstColumn), index(rows.at(i - 1), lastColumn), roles);
        start = i;
    }
}

void RequestTableModel::clear()
{
    beginResetModel();
    m_entries.clear();
    m_pending.clear();
    m_firstSeq = m_nextSeq;
    m_bodySeq = m_nextSeq;
    m_inFlight.clear();
    m_updates.clear();
    m_strings.clear();
    endResetModel();
}

QVariant RequestTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Entry& entry = entryAt(index.row());
    const RequestRecord& record = entry.record;
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        return display(record, column);
    case Qt::ToolTipRole:
        return toolTip(record, column);
    case Qt::ForegroundRole:
        return column == Outcome ? DisplayFormat::outcomeColor(record.outcome) : QVariant();
    case Qt::TextAlignmentRole:
        return isNumeric(column) ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case SortRole:
        return sortValue(record, column);
    case RecordIdRole:
        return record.id;
    case OutcomeRole:
        return int(record.outcome);
    case GroupRole:
        return record.group;
    case ModelRole:
        return int(record.model);
    case BodyAvailableRole:
        return entry.bodyAvailable;
    default:
        return {};
    }
}

double RequestTableModel::elapsedMs(const RequestRecord& record) const
{
    if (!record.startedAt.isValid())
        return 0.0;
    return double(std::max<qint64>(0, record.startedAt.msecsTo(QDateTime::currentDateTimeUtc())));
}

QVariant RequestTableModel::display(const RequestRecord& record, int column) const
{
    const bool finished = record.finished();
    switch (column) {
    case Time:
        return DisplayFormat::clockTime(record.startedAt);
    case Cycle:
        return QString::number(record.cycle);
    case Group:
        return record.group;
    case Prompt:
        return record.description;
    case Model:
        return DisplayFormat::modelLetter(record.model);
    case Endpoint:
        return DisplayFormat::endpoint(record);
    case Outcome:
        return DisplayFormat::outcome(record.outcome);
    case Status:
        return record.httpStatus > 0 ? QString::number(record.httpStatus) : QString();
    case Latency:
        return finished ? DisplayFormat::latency(record.latencyMs)
                        : DisplayFormat::latency(elapsedMs(record)) + u'\u2026';
    case AgentLatency:
        return DisplayFormat::latency(record.agentLatencySeconds * 1000.0);
    case ToolCalls:
        return finished ? QString::number(record.toolCallCount) : QString();
    case Size:
        return finished ? DisplayFormat::bytes(record.responseBytes) : QString();
    case TraceId:
        return record.traceId;
    default:
        return {};
    }
}

QVariant RequestTableModel::sortValue(const RequestRecord& record, int column) const
{
    const bool finished = record.finished();
    switch (column) {
    case Time:
        return record.startedAt.isValid() ? record.startedAt.toMSecsSinceEpoch() : qint64(0);
    case Cycle:
        return qint64(record.cycle);
    case Model:
        return qint64(record.model);
    case Status:
        return qint64(record.httpStatus);
    case Latency:
        return finished ? sortKey(record.latencyMs) : sortKey(elapsedMs(record));
    case AgentLatency:
        return sortKey(record.agentLatencySeconds * 1000.0);
    case ToolCalls:
        return finished ? qint64(record.toolCallCount) : qint64(-1);
    case Size:
        return finished ? record.responseBytes : qint64(-1);
    default:
        return display(record, column);
    }
}

QVariant RequestTableModel::toolTip(const RequestRecord& record, int column) const
{
    switch (column) {
    case Time:
        return DisplayFormat::fullTime(record.startedAt);
    case Cycle:
        return record.triggered
            ? tr("Cycle %1 of user %2, triggered by hand").arg(record.cycle).arg(record.user + 1)
            : tr("Cycle %1 of user %2").arg(record.cycle).arg(record.user + 1);
    case Prompt:
        return record.message.isEmpty() ? tr("(empty message)") : record.message.left(2000);
    case Model:
        return record.modelUsed.isEmpty()
            ? modelLabel(record.model)
            : tr("%1, answered by %2").arg(modelLabel(record.model), record.modelUsed);
    case Outcome:
        if (record.detail.isEmpty() || record.error.contains(record.detail))
            return record.error.isEmpty() ? QVariant() : record.error;
        return QString(record.error + u'\n' + record.detail);
    case Status:
        return record.redirectTarget.isEmpty() ? QVariant()
                                               : tr("Redirect to %1").arg(record.redirectTarget);
    case ToolCalls:
        return record.toolNames.isEmpty() ? QVariant() : record.toolNames.join(u", "_s);
    case Size:
        return record.finished() ? tr("%1 bytes").arg(record.responseBytes) : QVariant();
    case TraceId:
        return record.traceId.isEmpty()
            ? QVariant()
            : tr("Trace %1, span %2").arg(record.traceId, record.spanId);
    default:
        return {};
    }
}

QVariant RequestTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Time:
        return tr("Time");
    case Cycle:
        return tr("Cycle");
    case Group:
        return tr("Group");
    case Prompt:
        return tr("Prompt");
    case Model:
        return tr("Model");
    case Endpoint:
        return tr("Endpoint");
    case Outcome:
        return tr("Outcome");
    case Status:
        return tr("Status");
    case Latency:
        return tr("Latency");
    case AgentLatency:
        return tr("Agent latency");
    case ToolCalls:
        return tr("Tool calls");
    case Size:
        return tr("Size");
    case TraceId:
        return tr("Trace ID");
    default:
        return {};
    }
}

QString RequestTableModel::prettyBody(const QByteArray& body)
{
    QByteArray text = body;
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(body, &error);
    if (error.error == QJsonParseError::NoError && !document.isNull())
        text = document.toJson(QJsonDocument::Indented);

    if (text.size() <= PrettyBodyLimit)
        return QString::fromUtf8(text);
    const qsizetype left = text.size() - PrettyBodyLimit;
    return QString::fromUtf8(text.left(PrettyBodyLimit)) + u'\n'
        + tr("[%1 more bytes not shown]").arg(left);
}

} // namespace aimload
