#include "displayformat.h"

#include "prompts/prompt.h"

#include <QGuiApplication>
#include <QPalette>

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

QString DisplayFormat::clockTime(const QDateTime& time)
{
    return time.isValid() ? time.toLocalTime().toString(u"HH:mm:ss"_s) : QString();
}

QString DisplayFormat::fullTime(const QDateTime& time)
{
    return time.isValid() ? time.toLocalTime().toString(u"yyyy-MM-dd HH:mm:ss.zzz t"_s) : QString();
}

QString DisplayFormat::latency(double ms)
{
    if (std::isnan(ms))
        return {};
    if (std::abs(ms) < 1000.0)
        return tr("%1 ms").arg(QString::number(ms, 'f', 0));
    return tr("%1 s").arg(QString::number(ms / 1000.0, 'f', 1));
}

QString DisplayFormat::signedLatency(double ms)
{
    if (std::isnan(ms))
        return {};
    const QString magnitude = latency(std::abs(ms));
    if (magnitude.startsWith(u'0'))
        return magnitude;
    return (ms < 0 ? u"\u2212"_s : u"+"_s) + magnitude;
}

QString DisplayFormat::bytes(qint64 bytes)
{
    if (bytes < 1024)
        return tr("%1 B").arg(bytes);
    if (bytes < 1024 * 1024)
        return tr("%1 KB").arg(QString::number(double(bytes) / 1024.0, 'f', 1));
    return tr("%1 MB").arg(QString::number(double(bytes) / (1024.0 * 1024.0), 'f', 1));
}

QString DisplayFormat::outcome(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Pending:
        return tr("in flight");
    case Outcome::Ok:
        return tr("ok");
    case Outcome::HttpError:
        return tr("HTTP error");
    case Outcome::Timeout:
        return tr("timeout");
    case Outcome::ConnectionError:
        return tr("connection error");
    case Outcome::InvalidResponse:
        return tr("invalid response");
    case Outcome::AgentFailure:
        return tr("agent failure");
    case Outcome::Cancelled:
        return tr("cancelled");
    }
    return {};
}

QString DisplayFormat::modelLetter(Model model)
{
    return model == Model::A ? tr("A") : tr("B");
}

QString DisplayFormat::endpoint(const RequestRecord& record)
{
    if (record.endpoint == Endpoint::Chat || record.workflow.isEmpty())
        return endpointPath(record.endpoint);
    return endpointPath(record.endpoint) + u" \u00b7 "_s + record.workflow;
}

QString DisplayFormat::level(EventLog::Level level)
{
    switch (level) {
    case EventLog::Level::Debug:
        return tr("debug");
    case EventLog::Level::Info:
        return tr("info");
    case EventLog::Level::Warning:
        return tr("warning");
    case EventLog::Level::Error:
        return tr("error");
    }
    return {};
}

bool DisplayFormat::isDarkPalette()
{
    // Without a QGuiApplication there is no palette to ask; the light colours are used.
    if (!qobject_cast<QGuiApplication*>(QCoreApplication::instance()))
        return false;
    const QPalette palette = QGuiApplication::palette();
    return palette.color(QPalette::Base).lightness() < palette.color(QPalette::Text).lightness();
}

QColor DisplayFormat::color(Tone tone)
{
    // Mid-saturation tones, a darker set for light backgrounds and a lighter one for dark.
    const bool dark = isDarkPalette();
    switch (tone) {
    case Tone::Good:
        return dark ? QColor(0x81, 0xc7, 0x84) : QColor(0x1b, 0x7a, 0x35);
    case Tone::Bad:
        return dark ? QColor(0xef, 0x7a, 0x78) : QColor(0xc0, 0x26, 0x26);
    case Tone::Warning:
        return dark ? QColor(0xff, 0xb7, 0x4d) : QColor(0xa8, 0x55, 0x00);
    case Tone::Info:
        return dark ? QColor(0x64, 0xb5, 0xf6) : QColor(0x15, 0x5f, 0xb0);
    case Tone::Muted:
        return dark ? QColor(0xa0, 0xa0, 0xa0) : QColor(0x70, 0x70, 0x70);
    }
    return {};
}

QColor DisplayFormat::outcomeColor(Outcome outcome)
{
    switch (outcome) {
    case Outcome::Pending:
        return color(Tone::Info);
    case Outcome::Ok:
        return color(Tone::Good);
    case Outcome::Cancelled:
        return color(Tone::Muted);
    case Outcome::Timeout:
        return color(Tone::Warning);
    case Outcome::HttpError:
    case Outcome::ConnectionError:
    case Outcome::InvalidResponse:
    case Outcome::AgentFailure:
        return color(Tone::Bad);
    }
    return {};
}

QColor DisplayFormat::levelColor(EventLog::Level level)
{
    switch (level) {
    case EventLog::Level::Debug:
        return color(Tone::Muted);
    case EventLog::Level::Info:
        return {};
    case EventLog::Level::Warning:
        return color(Tone::Warning);
    case EventLog::Level::Error:
        return color(Tone::Bad);
    }
    return {};
}

} // namespace aimload
