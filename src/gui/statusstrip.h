#pragma once

#include "runcontroller.h"

#include <QFrame>

#include <memory>

namespace Ui {
class StatusStrip;
}

namespace aimload {

// The line that is always on screen: agent and its health, state, the countdown to the
// next cycle, and the counts a presenter glances at.
class StatusStrip : public QFrame
{
    Q_OBJECT

public:
    explicit StatusStrip(QWidget* parent = nullptr);
    ~StatusStrip() override;

    void refresh(const RunController& run);

    // "0:42", "11:05", "1:02:03"
    static QString formatClock(qint64 milliseconds);
    // The next cycle's local time and how far off it is: to the minute while it is more
    // than a minute away ("14:32:07 (in 12 min)"), then to the second ("(in 0:42)").
    static QString countdownText(qint64 remainingMs, const QDateTime& now);
    // How long until countdownText() for remainingMs says something else.
    static qint64 countdownChangeInMs(qint64 remainingMs);
    // How long until refresh() would show something new without any event: the countdown
    // or the age of the oldest request in flight; -1 when nothing moves on its own.
    static qint64 nextChangeInMs(const RunController& run);
    static QString stateText(const RunController& run);

protected:
    void changeEvent(QEvent* event) override;

private:
    void showHealth(RunController::Health health, const QString& error);
    void fitCountdown();

    std::unique_ptr<Ui::StatusStrip> m_ui;
    RunController::Health m_shownHealth = RunController::Health::Unknown;
    QString m_shownError;
    int m_shownLightSize = -1;
    qreal m_shownLightRatio = 0.0;
};

} // namespace aimload
