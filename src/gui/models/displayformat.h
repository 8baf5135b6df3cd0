#pragma once

#include "agent/requestrecord.h"
#include "headless/eventlog.h"

#include <QColor>
#include <QCoreApplication>
#include <QDateTime>
#include <QString>

namespace aimload {

// How the tables spell times, latencies, sizes and outcomes, and the few colours they use.
// Colours follow the application palette so they stay readable in dark mode.
class DisplayFormat
{
    Q_DECLARE_TR_FUNCTIONS(DisplayFormat)

public:
    enum class Tone
    {
        Good,
        Bad,
        Warning,
        Info,
        Muted
    };

    static QString clockTime(const QDateTime& time); // local "HH:mm:ss"
    static QString fullTime(const QDateTime& time); // local date and time with milliseconds
    static QString latency(double ms); // "850 ms", "8.2 s", "" for NaN
    static QString signedLatency(double ms); // "+850 ms", "−1.2 s"
    static QString bytes(qint64 bytes); // "512 B", "12.3 KB", "4.1 MB"
    static QString outcome(Outcome outcome); // "in flight", "ok", "HTTP error", ...
    static QString modelLetter(Model model); // "A", "B"
    static QString endpoint(const RequestRecord& record); // "/chat", "/repair · workflow"
    static QString level(EventLog::Level level);

    static bool isDarkPalette();
    static QColor color(Tone tone);
    static QColor outcomeColor(Outcome outcome);
    static QColor levelColor(EventLog::Level level); // invalid for plain info lines
};

} // namespace aimload
