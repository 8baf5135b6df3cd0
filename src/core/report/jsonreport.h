#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace aimload {

class ReportRecorder;

// The final statistics as one JSON document: run, counts, rows per group and model, per
// model, the total, the A/B comparison and the failures. Latencies are in milliseconds,
// rates from 0 to 1; a value that does not exist (a median without requests) is null.
// The seed is a string, since a 64-bit seed does not fit a JSON number exactly.
class JsonReport
{
public:
    static constexpr int FormatVersion = 1;

    // Writes atomically; on failure returns false with a one-line error naming the file.
    static bool write(const QString& path, const ReportRecorder& recorder, QString* error);
    static QJsonObject toJson(const ReportRecorder& recorder);
};

} // namespace aimload
