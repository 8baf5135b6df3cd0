#include "failuresmodel.h"

#include "displayformat.h"

#include <QRegularExpression>

#include <utility>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

constexpr std::chrono::milliseconds DefaultInterval {200};

struct Rule
{
    QRegularExpression pattern;
    QString replacement;
};

const QList<Rule>& rules()
{
    static const QList<Rule> rules = [] {
        const auto options = QRegularExpression::CaseInsensitiveOption;
        QList<Rule> list {
            {QRegularExpression(
                 u"\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b"_s, options),
                u"<id>"_s},
            {QRegularExpression(u"\\b\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?"
                                u"(Z|[+-]\\d{2}:?\\d{2})?"_s,
                 options),
                u"<time>"_s},
            // Hex strings long enough to be ids (trace ids, hashes), if they hold a digit.
            {QRegularExpression(u"\\b(?=[0-9a-f]*\\d)[0-9a-f]{12,}\\b"_s, options), u"<id>"_s},
            {QRegularExpression(u"\\d+(?:\\.\\d+)?(?=\\s*(?:bytes?|b|kb|kib|mb|mib|ms|s|secs?|"
                                u"seconds?|min|minutes?)\\b)"_s,
                 options),
                u"N"_s},
        };
        for (Rule& rule : list)
            rule.pattern.optimize();
        return list;
    }();
    return rules;
}

QDateTime endTime(const RequestRecord& record)
{
    if (!record.startedAt.isValid())
        return QDateTime::currentDateTimeUtc();
    return record.startedAt.addMSecs(qint64(record.latencyMs));
}

} // namespace

FailuresModel::FailuresModel(QObject* parent)
    : QAbstractTableModel(parent)
{
    m_tick.setSingleShot(true);
    m_tick.setInterval(DefaultInterval);
    connect(&m_tick, &QTimer::timeout, this, &FailuresModel::flush);
}

FailuresModel::~FailuresModel() = default;

int FailuresModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int FailuresModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const FailuresModel::Failure& FailuresModel::rowAt(int row) const
{
    return m_rows.at(row);
}

void FailuresModel::setUpdateInterval(std::chrono::milliseconds interval)
{
    m_tick.setInterval(interval);
}

QString FailuresModel::normalizedMessage(const QString& error)
{
    QString message = error.simplified();
    for (const Rule& rule : rules())
        message.replace(rule.pattern, rule.replacement);
    return message;
}

QString FailuresModel::key(const QString& group, aimload::Model model, const QString& message)
{
    return group + u'\x1f' + modelLetter(model) + u'\x1f' + message;
}

void FailuresModel::add(const RequestRecord& record)
{
    if (!isFailure(record.outcome))
        return;
    RequestRecord slim = record;
    slim.body = QByteArray(); // the failures table never shows it
    m_pending.append(slim);
    if (!m_tick.isActive())
        m_tick.start();
}

void FailuresModel::merge(Failure& failure, const RequestRecord& record)
{
    const QDateTime seen = endTime(record);
    if (failure.count == 0 || seen < failure.firstSeen)
        failure.firstSeen = seen;
    if (failure.count == 0 || seen >= failure.lastSeen) {
        failure.lastSeen = seen;
        failure.lastRecordId = record.id;
        failure.lastOutcome = record.outcome;
        failure.lastError = record.error;
        if (!record.detail.isEmpty() && !record.error.contains(record.detail))
            failure.lastError += u'\n' + record.detail;
    }
    if (!failure.outcomes.contains(record.outcome))
        failure.outcomes.append(record.outcome);
    ++failure.count;
}

void FailuresModel::flush()
{
    m_tick.stop();
    if (m_pending.isEmpty())
        return;

    const QList<RequestRecord> pending = std::exchange(m_pending, {});
    const int oldCount = int(m_rows.size());
    QList<Failure> added;
    QList<int> changed;
    for (const RequestRecord& record : pending) {
        QString message = record.error.isEmpty() ? DisplayFormat::outcome(record.outcome)
                                                 : normalizedMessage(record.error);
        QString rowKey = key(record.group, record.model, message);
        auto it = m_rowOfKey.find(rowKey);
        if (it == m_rowOfKey.end() && oldCount + added.size() >= MaxRows) {
            message = tr("other failures");
            rowKey = key(record.group, record.model, message);
            it = m_rowOfKey.find(rowKey);
        }
        if (it == m_rowOfKey.end()) {
            it = m_rowOfKey.insert(rowKey, oldCount + int(added.size()));
            Failure failure;
            failure.group = record.group;
            failure.model = record.model;
            failure.message = message;
            added.append(failure);
        }
        const int row = it.value();
        merge(row < oldCount ? m_rows[row] : added[row - oldCount], record);
        if (row < oldCount && !changed.contains(row))
            changed.append(row);
        ++m_total;
    }

    for (const int row : std::as_const(changed))
        Q_EMIT dataChanged(index(row, Message), index(row, LastSeen));
    if (!added.isEmpty()) {
        beginInsertRows(QModelIndex(), oldCount, oldCount + int(added.size()) - 1);
        m_rows.append(added);
        endInsertRows();
    }
}

void FailuresModel::clear()
{
    beginResetModel();
    m_rows.clear();
    m_rowOfKey.clear();
    m_pending.clear();
    m_total = 0;
    endResetModel();
}

QVariant FailuresModel::display(const Failure& failure, int column) const
{
    switch (column) {
    case Group:
        return failure.group;
    case Model:
        return DisplayFormat::modelLetter(failure.model);
    case Message:
        return failure.message;
    case Outcome: {
        QStringList names;
        for (const aimload::Outcome outcome : failure.outcomes)
            names.append(DisplayFormat::outcome(outcome));
        return names.join(u", "_s);
    }
    case Count:
        return QString::number(failure.count);
    case FirstSeen:
        return DisplayFormat::clockTime(failure.firstSeen);
    case LastSeen:
        return DisplayFormat::clockTime(failure.lastSeen);
    default:
        return {};
    }
}

QVariant FailuresModel::sortValue(const Failure& failure, int column) const
{
    switch (column) {
    case Model:
        return qint64(failure.model);
    case Count:
        return failure.count;
    case FirstSeen:
        return failure.firstSeen.toMSecsSinceEpoch();
    case LastSeen:
        return failure.lastSeen.toMSecsSinceEpoch();
    default:
        return display(failure, column);
    }
}

QVariant FailuresModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Failure& failure = m_rows.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        return display(failure, column);
    case Qt::ToolTipRole:
        if (column == FirstSeen || column == LastSeen)
            return DisplayFormat::fullTime(
                column == FirstSeen ? failure.firstSeen : failure.lastSeen);
        return column == Message ? QVariant(failure.lastError) : QVariant();
    case Qt::ForegroundRole:
        return column == Outcome ? DisplayFormat::outcomeColor(failure.lastOutcome) : QVariant();
    case Qt::TextAlignmentRole:
        return column == Count ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case SortRole:
        return sortValue(failure, column);
    case RecordIdRole:
        return failure.lastRecordId;
    case OutcomeRole:
        return int(failure.lastOutcome);
    case GroupRole:
        return failure.group;
    case ModelRole:
        return int(failure.model);
    default:
        return {};
    }
}

QVariant FailuresModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Group:
        return tr("Group");
    case Model:
        return tr("Model");
    case Message:
        return tr("Message");
    case Outcome:
        return tr("Outcome");
    case Count:
        return tr("Count");
    case FirstSeen:
        return tr("First seen");
    case LastSeen:
        return tr("Last seen");
    default:
        return {};
    }
}

} // namespace aimload
