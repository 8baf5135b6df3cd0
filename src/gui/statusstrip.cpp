#include "statusstrip.h"
#include "ui_statusstrip.h"

#include "session/loadsession.h"

#include <QEvent>
#include <QPainter>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

constexpr qint64 MsPerMinute = 60'000;

QColor healthColor(RunController::Health health)
{
    switch (health) {
    case RunController::Health::Healthy:
        return QColor(0x2e, 0xa0, 0x52);
    case RunController::Health::Unhealthy:
        return QColor(0xd6, 0x45, 0x3d);
    case RunController::Health::Unknown:
        break;
    }
    return QColor(0x8a, 0x8f, 0x99);
}

QPixmap lightPixmap(const QColor& color, int size, qreal ratio)
{
    QPixmap pixmap(QSize(size, size) * ratio);
    pixmap.setDevicePixelRatio(ratio);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(color.darker(140), 1.0));
    painter.setBrush(color);
    painter.drawEllipse(QRectF(1.5, 1.5, size - 3.0, size - 3.0));
    return pixmap;
}

} // namespace

StatusStrip::StatusStrip(QWidget* parent)
    : QFrame(parent)
    , m_ui(std::make_unique<Ui::StatusStrip>())
{
    m_ui->setupUi(this);
    // On a narrow window the counts are cut rather than forcing the window wider than a
    // small laptop screen; their tooltips still explain them.
    for (QLabel* label : {m_ui->agentLabel, m_ui->stateLabel, m_ui->countdownLabel,
             m_ui->cyclesLabel, m_ui->requestsLabel, m_ui->inFlightLabel})
        label->setMinimumWidth(fontMetrics().averageCharWidth() * 6);
    fitCountdown();
    showHealth(RunController::Health::Unknown, {});
}

StatusStrip::~StatusStrip() = default;

QString StatusStrip::formatClock(qint64 milliseconds)
{
    const qint64 seconds = std::max<qint64>(0, (milliseconds + 999) / 1000);
    const qint64 hours = seconds / 3600;
    const qint64 minutes = (seconds / 60) % 60;
    const QString tail = u"%1"_s.arg(seconds % 60, 2, 10, QChar(u'0'));
    if (hours > 0)
        return u"%1:%2:%3"_s.arg(hours).arg(minutes, 2, 10, QChar(u'0')).arg(tail);
    return u"%1:%2"_s.arg(minutes).arg(tail);
}

QString StatusStrip::countdownText(qint64 remainingMs, const QDateTime& now)
{
    const QString at = now.addMSecs(remainingMs).toString(u"HH:mm:ss"_s);
    if (remainingMs <= MsPerMinute)
        return tr("%1 (in %2)").arg(at, formatClock(remainingMs));
    const qint64 minutes = (remainingMs + MsPerMinute - 1) / MsPerMinute;
    if (minutes < 120)
        return tr("%1 (in %2 min)").arg(at).arg(minutes);
    return tr("%1 (in %2 h %3 min)").arg(at).arg(minutes / 60).arg(minutes % 60);
}

qint64 StatusStrip::countdownChangeInMs(qint64 remainingMs)
{
    // Both forms round up, so the text changes when the remaining time falls to a whole
    // second (the last minute) or a whole minute.
    const qint64 unit = remainingMs <= MsPerMinute ? 1000 : MsPerMinute;
    const qint64 past = remainingMs % unit;
    return past == 0 ? unit : past;
}

qint64 StatusStrip::nextChangeInMs(const RunController& run)
{
    qint64 next = -1;
    if (run.requestsInFlight() > 0)
        next = 1000 - run.longestInFlightMs() % 1000;
    if (const qint64 remaining = run.nextCycleInMs(); remaining >= 0) {
        const qint64 change = countdownChangeInMs(remaining);
        next = next < 0 ? change : std::min(next, change);
    }
    return next;
}

QString StatusStrip::stateText(const RunController& run)
{
    if (!run.session())
        return tr("not ready: check the settings");
    switch (run.state()) {
    case LoadEngine::State::Running:
        return tr("running");
    case LoadEngine::State::WaitingForAgent:
        return tr("waiting for the agent");
    case LoadEngine::State::Idle:
    case LoadEngine::State::Stopped:
        break;
    }
    return tr("stopped");
}

void StatusStrip::refresh(const RunController& run)
{
    const LoadSession* session = run.session();
    const QString agent = session ? session->agentUrl().toString() : run.options().host.toString();
    const bool simulated = session && session->simulator();
    m_ui->agentLabel->setText(simulated ? tr("%1 (simulated)").arg(agent) : agent);
    showHealth(run.health(), run.healthError());

    m_ui->stateLabel->setText(tr("<b>State:</b> %1").arg(stateText(run).toHtmlEscaped()));
    const qint64 next = run.nextCycleInMs();
    m_ui->countdownLabel->setText(
        next < 0 ? tr("none scheduled") : countdownText(next, QDateTime::currentDateTime()));
    m_ui->cyclesLabel->setText(tr("<b>Cycles:</b> %1 done, %2 skipped")
                                   .arg(run.cyclesCompleted())
                                   .arg(run.slotsSkipped()));
    m_ui->requestsLabel->setText(tr("<b>Requests:</b> %1 ok, %2 failed, %3 cancelled")
                                     .arg(run.requestsOk())
                                     .arg(run.requestsFailed())
                                     .arg(run.requestsCancelled()));
    const int inFlight = run.requestsInFlight();
    m_ui->inFlightLabel->setText(inFlight == 0 ? tr("<b>In flight:</b> none")
                                               : tr("<b>In flight:</b> %1 (oldest %2)")
                                                     .arg(inFlight)
                                                     .arg(formatClock(run.longestInFlightMs())));
}

// The countdown changes every second: plain text in a label of fixed size, big enough for
// any value, so that a tick repaints one small label and never lays the strip out again
// (a label whose size may change asks its parent for a new layout on every setText()).
void StatusStrip::fitCountdown()
{
    QLabel* label = m_ui->countdownLabel;
    const QString text = label->text();
    label->setMinimumSize(0, 0);
    label->setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX);
    // The widest of each form: hours of pacing, two-digit minutes, the last minute.
    const QDateTime sample(QDate(2000, 1, 1), QTime(20, 8, 8));
    QSize size;
    for (const QString& widest : {tr("none scheduled"), countdownText(888 * 3600'000LL, sample),
             countdownText(88 * MsPerMinute, sample), countdownText(48'000, sample)}) {
        label->setText(widest);
        size = size.expandedTo(label->sizeHint());
    }
    label->setFixedSize(size);
    label->setText(text);
}

void StatusStrip::showHealth(RunController::Health health, const QString& error)
{
    // Called on every tick: the light is drawn again only when something it shows changed.
    const int size = fontMetrics().height() - 2;
    const qreal ratio = devicePixelRatioF();
    if (!m_ui->healthLight->pixmap().isNull() && health == m_shownHealth && error == m_shownError
        && size == m_shownLightSize && ratio == m_shownLightRatio)
        return;
    m_shownHealth = health;
    m_shownError = error;
    m_shownLightSize = size;
    m_shownLightRatio = ratio;
    m_ui->healthLight->setPixmap(lightPixmap(healthColor(health), size, ratio));

    QString tip;
    switch (health) {
    case RunController::Health::Healthy:
        tip = tr("The agent answers GET /health.");
        break;
    case RunController::Health::Unhealthy:
        tip = tr("The agent did not answer GET /health: %1").arg(error);
        break;
    case RunController::Health::Unknown:
        tip = tr("The agent's health has not been checked yet.");
        break;
    }
    m_ui->healthLight->setToolTip(tip);
    m_ui->agentLabel->setToolTip(tip);
}

void StatusStrip::changeEvent(QEvent* event)
{
    QFrame::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange) {
        fitCountdown();
        m_shownLightSize = -1;
        showHealth(m_shownHealth, m_shownError);
    }
}

} // namespace aimload
