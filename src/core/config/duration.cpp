#include "config/duration.h"

#include <QRegularExpression>

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

double unitMs(QStringView unit)
{
    if (unit == u"ms")
        return 1.0;
    if (unit == u"s" || unit.isEmpty())
        return 1000.0;
    if (unit == u"m")
        return 60'000.0;
    if (unit == u"h")
        return 3'600'000.0;
    if (unit == u"d")
        return 86'400'000.0;
    return -1.0;
}

} // namespace

std::optional<std::chrono::milliseconds> parseDuration(const QString& text)
{
    static const QRegularExpression part(u"(\\d+(?:\\.\\d+)?|\\.\\d+)(ms|s|m|h|d)?"_s);
    const QString trimmed = text.trimmed().toLower();
    if (trimmed.isEmpty())
        return std::nullopt;

    double totalMs = 0.0;
    qsizetype position = 0;
    int parts = 0;
    bool lastWasBare = false;
    while (position < trimmed.size()) {
        const QRegularExpressionMatch match = part.match(trimmed, position,
            QRegularExpression::NormalMatch, QRegularExpression::AnchorAtOffsetMatchOption);
        if (!match.hasMatch() || lastWasBare)
            return std::nullopt;
        totalMs += match.captured(1).toDouble() * unitMs(match.capturedView(2));
        lastWasBare = match.capturedView(2).isEmpty();
        position = match.capturedEnd(0);
        ++parts;
        // "1h 30m" reads as "1h30m"; a space after a bare number ("1 2") stays an error.
        while (!lastWasBare && position < trimmed.size() && trimmed.at(position).isSpace())
            ++position;
    }
    // A bare number is seconds, but only on its own: "1h30" is a typo, not 1h30s.
    if (lastWasBare && parts > 1)
        return std::nullopt;
    if (!std::isfinite(totalMs) || totalMs > 1e15)
        return std::nullopt;
    return std::chrono::milliseconds(std::llround(totalMs));
}

QString formatDuration(std::chrono::milliseconds duration)
{
    qint64 ms = duration.count();
    if (ms == 0)
        return u"0s"_s;
    if (ms % 1000 != 0 && ms < 60'000) {
        return ms < 1000 ? u"%1ms"_s.arg(ms) : u"%1s"_s.arg(double(ms) / 1000.0);
    }

    QString text;
    const struct
    {
        qint64 size;
        char16_t unit;
    } units[] = {{86'400'000, u'd'}, {3'600'000, u'h'}, {60'000, u'm'}, {1000, u's'}};
    for (const auto& unit : units) {
        if (ms >= unit.size) {
            text += QString::number(ms / unit.size) + QChar(unit.unit);
            ms %= unit.size;
        }
    }
    if (ms > 0)
        text += u"%1ms"_s.arg(ms);
    return text;
}

QString formatSeconds(double seconds)
{
    return QString::number(seconds, 'f', 1) + u's';
}

} // namespace aimload
