#include "logmodel.h"

#include "displayformat.h"

namespace aimload {

namespace {

constexpr std::chrono::milliseconds DefaultInterval {200};

} // namespace

LogModel::LogModel(QObject* parent)
    : QAbstractTableModel(parent)
{
    m_tick.setSingleShot(true);
    m_tick.setInterval(DefaultInterval);
    connect(&m_tick, &QTimer::timeout, this, &LogModel::flush);
}

LogModel::~LogModel() = default;

int LogModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

int LogModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

const LogModel::Line& LogModel::rowAt(int row) const
{
    return m_lines.at(size_t(row));
}

void LogModel::setCapacity(int lines)
{
    m_capacity = std::max(1, lines);
    if (int(m_lines.size()) > m_capacity)
        removeOldest(int(m_lines.size()) - m_capacity);
}

void LogModel::setUpdateInterval(std::chrono::milliseconds interval)
{
    m_tick.setInterval(interval);
}

void LogModel::addLine(EventLog::Level level, const QDateTime& time, const QString& text)
{
    m_pending.push_back({time, level, text});
    // A burst larger than the capacity would only be dropped at the next flush.
    if (int(m_pending.size()) > m_capacity)
        m_pending.pop_front();
    if (!m_tick.isActive())
        m_tick.start();
}

void LogModel::flush()
{
    m_tick.stop();
    if (m_pending.empty())
        return;

    const int excess = int(m_lines.size() + m_pending.size()) - m_capacity;
    if (excess > 0)
        removeOldest(std::min(excess, int(m_lines.size())));

    const int first = int(m_lines.size());
    beginInsertRows(QModelIndex(), first, first + int(m_pending.size()) - 1);
    std::move(m_pending.begin(), m_pending.end(), std::back_inserter(m_lines));
    m_pending.clear();
    endInsertRows();
}

void LogModel::removeOldest(int count)
{
    if (count <= 0)
        return;
    beginRemoveRows(QModelIndex(), 0, count - 1);
    m_lines.erase(m_lines.begin(), m_lines.begin() + count);
    endRemoveRows();
}

void LogModel::clear()
{
    beginResetModel();
    m_lines.clear();
    m_pending.clear();
    endResetModel();
}

QVariant LogModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Line& line = rowAt(index.row());

    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Time:
            return DisplayFormat::clockTime(line.time);
        case Level:
            return DisplayFormat::level(line.level);
        case Text:
            return line.text;
        }
        return {};
    case Qt::ToolTipRole:
        return index.column() == Time ? QVariant(DisplayFormat::fullTime(line.time)) : QVariant();
    case Qt::ForegroundRole: {
        const QColor color = DisplayFormat::levelColor(line.level);
        return color.isValid() ? QVariant(color) : QVariant();
    }
    case SortRole:
        switch (index.column()) {
        case Time:
            return line.time.toMSecsSinceEpoch();
        case Level:
            return qint64(line.level);
        case Text:
            return line.text;
        }
        return {};
    case LevelRole:
        return int(line.level);
    default:
        return {};
    }
}

QVariant LogModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Time:
        return tr("Time");
    case Level:
        return tr("Level");
    case Text:
        return tr("Message");
    default:
        return {};
    }
}

} // namespace aimload
