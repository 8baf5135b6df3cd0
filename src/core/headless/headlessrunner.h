#pragma once

#include "config/options.h"

#include <QObject>
#include <QTextStream>

class QTimer;

namespace aimload {

class LoadSession;
class SignalWatcher;

// Headless mode: a session whose log goes to stdout, a summary at the end, and a clean
// exit on SIGTERM or SIGINT.
class HeadlessRunner : public QObject
{
    Q_OBJECT

public:
    explicit HeadlessRunner(Options options, QObject* parent = nullptr);
    ~HeadlessRunner() override;

    // Builds the session; on failure returns false with a one-line reason.
    bool prepare(QString* error);
    void start();
    int exitCode() const { return m_exitCode; }

Q_SIGNALS:
    void done(int exitCode);

private:
    void printLine(const QString& text);
    QString timestamp();
    void onTermination(const QString& signalName);
    void onFinished(const QString& reason);
    bool writeReports();

    // Lines are buffered and written at least every FlushInterval, at the end of the
    // run, and at once from the first termination signal on (a second one exits at once).
    QTextStream m_out;
    QTimer* m_flushTimer = nullptr;
    bool m_flushEachLine = false;
    // The timestamp of the second last printed, which most lines share but for the ms.
    qint64 m_stampSecond = -1;
    QString m_stampPrefix;
    LoadSession* m_session = nullptr;
    SignalWatcher* m_signals = nullptr;
    int m_exitCode = 0;
    bool m_terminating = false;
};

} // namespace aimload
