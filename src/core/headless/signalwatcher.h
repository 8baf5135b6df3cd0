#pragma once

#include <QObject>

class QSocketNotifier;

namespace aimload {

// Turns SIGTERM and SIGINT into a Qt signal delivered by the event loop. A second
// signal while the first is still being handled ends the process at once.
class SignalWatcher : public QObject
{
    Q_OBJECT

public:
    explicit SignalWatcher(QObject* parent = nullptr);
    ~SignalWatcher() override;

    bool isValid() const { return m_notifier != nullptr; }

Q_SIGNALS:
    void terminationRequested(const QString& signalName);

private:
    void onReadable();

    QSocketNotifier* m_notifier = nullptr;
};

} // namespace aimload
