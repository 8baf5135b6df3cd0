#pragma once

#include <QByteArray>
#include <QCoreApplication>
#include <QString>

#include <functional>

class QIODevice;

namespace aimload {

// Writes a whole file or nothing. The text goes to a temporary file in the same
// directory, is flushed and synced, and only then takes the final name (QSaveFile), so a
// reader sees the old file or the new one, never half of one; a failed write leaves no
// temporary file behind.
class AtomicFileWriter
{
    Q_DECLARE_TR_FUNCTIONS(AtomicFileWriter)

public:
    // fill writes the content; when it cannot, it returns false, and says why in *reason
    // unless the device's own error says it.
    using Fill = std::function<bool(QIODevice& device, QString* reason)>;

    // On failure returns false and sets *error to one line naming the file and the reason.
    static bool write(const QString& path, const Fill& fill, QString* error);
    static bool write(const QString& path, const QByteArray& content, QString* error);
};

} // namespace aimload
