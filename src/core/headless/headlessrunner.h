#pragma once

#include "config/options.h"

#include <QObject>
#include <QTextStream>

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
    void onTermination(const QString& signalName);
    void onFinished(const QString& reason);
    bool writeReports();

    QTextStream m_out;
    LoadSession* m_session = nullptr;
    SignalWatcher* m_signals = nullptr;
    int m_exitCode = 0;
    bool m_terminating = false;
};

} // namespace aimload
