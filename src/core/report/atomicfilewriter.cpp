#include "report/atomicfilewriter.h"

#include "report/reportlogging.h"

#include <QDir>
#include <QSaveFile>

namespace aimload {

bool AtomicFileWriter::write(const QString& path, const Fill& fill, QString* error)
{
    QSaveFile file(path);
    const auto fail = [&file, &path, error](const QString& reason) {
        file.cancelWriting();
        const QString line = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), reason);
        if (error)
            *error = line;
        else
            qCWarning(lcReport).noquote() << line;
        return false;
    };

    if (!file.open(QIODevice::WriteOnly))
        return fail(file.errorString());
    QString reason;
    if (!fill(file, &reason))
        return fail(reason.isEmpty() ? file.errorString() : reason);
    if (!file.commit())
        return fail(file.errorString());
    return true;
}

bool AtomicFileWriter::write(const QString& path, const QByteArray& content, QString* error)
{
    return write(
        path,
        [&content](QIODevice& device, QString*) { return device.write(content) == content.size(); },
        error);
}

} // namespace aimload
