#pragma once

// This process's memory as Linux reports it, for tests that bound what a request costs.

#include <QByteArray>
#include <QFile>
#include <QString>

#include <optional>

namespace aimload::test {

// A "VmRSS"-style field of /proc/self/status, in kB.
inline std::optional<qint64> statusKilobytes(const QByteArray& field)
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArrayList lines = status.readAll().split('\n');
    for (const QByteArray& line : lines) {
        if (line.startsWith(QByteArray(field + ':')))
            return line.mid(field.size() + 1).trimmed().split(' ').first().toLongLong();
    }
    return std::nullopt;
}

// Makes VmHWM start again from the current resident size (Linux 4.0 and later).
inline bool resetPeakMemory()
{
    QFile clearRefs(QStringLiteral("/proc/self/clear_refs"));
    return clearRefs.open(QIODevice::WriteOnly) && clearRefs.write("5") == 1;
}

} // namespace aimload::test
