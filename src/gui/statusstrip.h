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
    static QString stateText(const RunController& run);

protected:
    void changeEvent(QEvent* event) override;

private:
    void showHealth(RunController::Health health, const QString& error);

    std::unique_ptr<Ui::StatusStrip> m_ui;
    RunController::Health m_shownHealth = RunController::Health::Unknown;
    QString m_shownError;
};

} // namespace aimload
