#pragma once

#include "headless/eventlog.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QTimer>

#include <chrono>
#include <deque>

namespace aimload {

// The event log, oldest line first as in a terminal. Lines are appended once per UI tick
// (or on flush()); past capacity() the oldest lines leave from the top.
class LogModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        Time,
        Level,
        Text,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role
    {
        SortRole = Qt::UserRole, // qint64 for time and level, QString for the text
        LevelRole, // int(EventLog::Level)
    };
    Q_ENUM(Role)

    struct Line
    {
        QDateTime time;
        EventLog::Level level = EventLog::Level::Info;
        QString text;
    };

    static constexpr int DefaultCapacity = 20'000;

    explicit LogModel(QObject* parent = nullptr);
    ~LogModel() override;

    int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const Line& rowAt(int row) const;
    int capacity() const { return m_capacity; }
    void setCapacity(int lines); // at least 1; drops the oldest lines at once
    void setUpdateInterval(std::chrono::milliseconds interval);

public Q_SLOTS:
    // Matches EventLog::lineAdded.
    void addLine(aimload::EventLog::Level level, const QDateTime& time, const QString& text);
    void flush();
    void clear();

private:
    void removeOldest(int count);

    std::deque<Line> m_lines;
    std::deque<Line> m_pending;
    int m_capacity = DefaultCapacity;
    QTimer m_tick;
};

} // namespace aimload
