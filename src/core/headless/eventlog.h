#pragma once

#include "agent/requestrecord.h"

#include <QDateTime>
#include <QObject>

namespace aimload {

class LoadEngine;
struct CycleInfo;

// Turns engine events into the one-line messages that headless mode prints and the
// window's log page shows, in the spirit of the Locust tool aimload replaces.
class EventLog : public QObject
{
    Q_OBJECT

public:
    enum class Level
    {
        Debug,
        Info,
        Warning,
        Error
    };
    Q_ENUM(Level)

    explicit EventLog(QObject* parent = nullptr);

    void attach(LoadEngine* engine, const QString& agentUrl);
    void add(Level level, const QString& text);

    static QString levelName(Level level);
    static QString requestLine(const RequestRecord& record);
    static QString cycleLine(const CycleInfo& cycle);

Q_SIGNALS:
    void lineAdded(aimload::EventLog::Level level, const QDateTime& time, const QString& text);

private:
    void onCycleFinished(const CycleInfo& cycle);

    LoadEngine* m_engine = nullptr;
};

} // namespace aimload
