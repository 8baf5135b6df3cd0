#include "bannerbar.h"

#include <QAction>
#include <QEvent>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace aimload {

struct BannerBar::Line
{
    QFrame* frame = nullptr;
    QLabel* icon = nullptr;
    QLabel* text = nullptr;
    QPushButton* button = nullptr;
    QToolButton* close = nullptr;
    QTimer* timer = nullptr;
    QAction* action = nullptr;
    Level level = Level::Info;
};

namespace {

QColor levelColor(BannerBar::Level level)
{
    switch (level) {
    case BannerBar::Level::Info:
        return QColor(0x3d, 0x8b, 0xd9);
    case BannerBar::Level::Warning:
        return QColor(0xe0, 0x9a, 0x1a);
    case BannerBar::Level::Error:
        return QColor(0xd6, 0x45, 0x3d);
    }
    return {};
}

QStyle::StandardPixmap levelPixmap(BannerBar::Level level)
{
    switch (level) {
    case BannerBar::Level::Info:
        return QStyle::SP_MessageBoxInformation;
    case BannerBar::Level::Warning:
        return QStyle::SP_MessageBoxWarning;
    case BannerBar::Level::Error:
        return QStyle::SP_MessageBoxCritical;
    }
    return QStyle::SP_MessageBoxInformation;
}

// A tint of the level's colour over the window colour, so light and dark palettes both
// keep their own text colour readable.
QColor blend(const QColor& base, const QColor& tint, double amount)
{
    return QColor::fromRgbF(float(base.redF() * (1 - amount) + tint.redF() * amount),
        float(base.greenF() * (1 - amount) + tint.greenF() * amount),
        float(base.blueF() * (1 - amount) + tint.blueF() * amount));
}

} // namespace

BannerBar::BannerBar(QWidget* parent)
    : QWidget(parent)
    , m_layout(new QVBoxLayout(this))
{
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(4);
    setVisible(false);
}

BannerBar::~BannerBar() = default;

const BannerBar::Line* BannerBar::find(Topic topic) const
{
    const auto found = m_lines.find(topic);
    return found == m_lines.end() ? nullptr : found->second.get();
}

BannerBar::Line& BannerBar::line(Topic topic)
{
    if (const auto found = m_lines.find(topic); found != m_lines.end())
        return *found->second;

    auto owned = std::make_unique<Line>();
    Line* made = owned.get();
    made->frame = new QFrame(this);
    made->frame->setObjectName(u"bannerLine"_s);
    auto* layout = new QHBoxLayout(made->frame);
    layout->setContentsMargins(8, 6, 6, 6);
    made->icon = new QLabel(made->frame);
    made->text = new QLabel(made->frame);
    made->text->setWordWrap(true);
    made->text->setTextFormat(Qt::PlainText);
    made->text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    made->button = new QPushButton(made->frame);
    made->close = new QToolButton(made->frame);
    made->close->setAutoRaise(true);
    made->close->setIcon(style()->standardIcon(QStyle::SP_TitleBarCloseButton));
    made->close->setToolTip(tr("Hide this message"));
    made->timer = new QTimer(made->frame);
    made->timer->setSingleShot(true);
    layout->addWidget(made->icon, 0, Qt::AlignTop);
    layout->addWidget(made->text, 1);
    layout->addWidget(made->button, 0, Qt::AlignVCenter);
    layout->addWidget(made->close, 0, Qt::AlignTop);
    m_layout->addWidget(made->frame);

    connect(made->close, &QToolButton::clicked, this, [this, topic] { clearMessage(topic); });
    connect(made->timer, &QTimer::timeout, this, [this, topic] { clearMessage(topic); });
    connect(made->button, &QPushButton::clicked, this, [made] {
        if (made->action)
            made->action->trigger();
    });
    m_lines.emplace(topic, std::move(owned));
    return *made;
}

void BannerBar::showMessage(
    Topic topic, Level level, const QString& text, QAction* action, int timeoutMs)
{
    Line& shown = line(topic);
    shown.level = level;
    shown.action = action;
    shown.text->setText(text);
    shown.button->setVisible(action != nullptr);
    if (action)
        shown.button->setText(action->iconText());
    if (timeoutMs > 0)
        shown.timer->start(timeoutMs);
    else
        shown.timer->stop();
    restyle(shown);
    shown.frame->setVisible(true);
    setVisible(true);
}

void BannerBar::clearMessage(Topic topic)
{
    const auto found = m_lines.find(topic);
    if (found == m_lines.end())
        return;
    Line& cleared = *found->second;
    cleared.frame->setVisible(false);
    cleared.text->clear();
    cleared.timer->stop();
    const bool anyShown = std::any_of(m_lines.cbegin(), m_lines.cend(),
        [](const auto& entry) { return !entry.second->frame->isHidden(); });
    setVisible(anyShown);
}

bool BannerBar::hasMessage(Topic topic) const
{
    const Line* shown = find(topic);
    return shown && !shown->frame->isHidden();
}

QString BannerBar::message(Topic topic) const
{
    return hasMessage(topic) ? find(topic)->text->text() : QString();
}

void BannerBar::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() != QEvent::PaletteChange && event->type() != QEvent::StyleChange)
        return;
    for (const auto& entry : m_lines)
        restyle(*entry.second);
}

void BannerBar::restyle(Line& shown)
{
    const QColor tint = levelColor(shown.level);
    const QColor background = blend(palette().color(QPalette::Window), tint, 0.18);
    shown.frame->setStyleSheet(
        u"QFrame#bannerLine { background: %1; border: 1px solid %2; border-radius: 4px; }"_s.arg(
            background.name(), tint.name()));
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    const QIcon icon = style()->standardIcon(levelPixmap(shown.level));
    shown.icon->setPixmap(icon.pixmap(QSize(size, size), devicePixelRatioF()));
}

} // namespace aimload
