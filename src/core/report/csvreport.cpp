#include "report/csvreport.h"

#include "report/atomicfilewriter.h"
#include "report/csvformat.h"
#include "report/reportlogging.h"
#include "report/reportrecorder.h"
#include "report/requestcsvlog.h"

#include <QBuffer>

#include <cmath>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

QStringList percentileNames()
{
    QStringList names;
    for (const double p : LocustPercentiles)
        names.append(locustPercentileName(p));
    return names;
}

// Locust's forms: whole milliseconds for medians and percentiles, "N/A" for percentiles
// and 0 for the rest while a name has no requests.
QString wholeMs(double value)
{
    return std::isnan(value) ? u"0"_s : QString::number(qRound64(value));
}

QString decimalOrZero(double value, int decimals = 3)
{
    return std::isnan(value) ? u"0"_s : CsvFormat::number(value, decimals);
}

QString rate(double value)
{
    return QString::number(value, 'f', 6);
}

QStringList percentileCells(const LocustRow& row)
{
    QStringList cells;
    for (const double value : row.percentilesMs)
        cells.append(row.requests > 0 && !std::isnan(value) ? wholeMs(value) : u"N/A"_s);
    return cells;
}

// Streamed line by line: weeks of history make a file of tens of megabytes.
bool writeHistory(QIODevice& device, const ReportRecorder& recorder)
{
    if (device.write(CsvFormat::line(CsvReport::historyHeader()).toUtf8()) < 0)
        return false;
    for (const HistorySnapshot& snapshot : recorder.history()) {
        const QString timestamp = QString::number(snapshot.atMs / 1000);
        const QString users = QString::number(snapshot.userCount);
        QString lines;
        for (const LocustRow& row : snapshot.rows) {
            lines += CsvFormat::line(
                QStringList {timestamp, users, CsvFormat::text(row.type), CsvFormat::text(row.name),
                    rate(row.requestsPerSecond), rate(row.failuresPerSecond)}
                + percentileCells(row)
                + QStringList {QString::number(row.requests), QString::number(row.failures),
                    wholeMs(row.medianMs), decimalOrZero(row.averageMs), decimalOrZero(row.minMs),
                    decimalOrZero(row.maxMs), decimalOrZero(row.averageBytes, 2)});
        }
        if (device.write(lines.toUtf8()) < 0)
            return false;
    }
    return true;
}

QByteArray joinLines(const QList<QStringList>& lines)
{
    QString text;
    for (const QStringList& cells : lines)
        text += CsvFormat::line(cells);
    return text.toUtf8();
}

} // namespace

QString CsvReport::statsPath(const QString& prefix)
{
    return prefix + u"_stats.csv"_s;
}

QString CsvReport::failuresPath(const QString& prefix)
{
    return prefix + u"_failures.csv"_s;
}

QString CsvReport::historyPath(const QString& prefix)
{
    return prefix + u"_stats_history.csv"_s;
}

QString CsvReport::requestsPath(const QString& prefix)
{
    return prefix + u"_requests.csv"_s;
}

QString CsvReport::requestsPartialPath(const QString& prefix)
{
    return requestsPath(prefix) + u".partial"_s;
}

QStringList CsvReport::statsHeader()
{
    return QStringList {u"Type"_s, u"Name"_s, u"Request Count"_s, u"Failure Count"_s,
               u"Median Response Time"_s, u"Average Response Time"_s, u"Min Response Time"_s,
               u"Max Response Time"_s, u"Average Content Size"_s, u"Requests/s"_s, u"Failures/s"_s}
    + percentileNames();
}

QStringList CsvReport::failuresHeader()
{
    return {u"Method"_s, u"Name"_s, u"Error"_s, u"Occurrences"_s};
}

QStringList CsvReport::historyHeader()
{
    return QStringList {u"Timestamp"_s, u"User Count"_s, u"Type"_s, u"Name"_s, u"Requests/s"_s,
               u"Failures/s"_s}
    + percentileNames()
        + QStringList {u"Total Request Count"_s, u"Total Failure Count"_s,
            u"Total Median Response Time"_s, u"Total Average Response Time"_s,
            u"Total Min Response Time"_s, u"Total Max Response Time"_s,
            u"Total Average Content Size"_s};
}

QByteArray CsvReport::statsCsv(const ReportRecorder& recorder)
{
    QList<QStringList> lines {statsHeader()};
    const QList<LocustRow> rows = recorder.statsRows();
    for (const LocustRow& row : rows) {
        lines.append(
            QStringList {CsvFormat::text(row.type), CsvFormat::text(row.name),
                QString::number(row.requests), QString::number(row.failures), wholeMs(row.medianMs),
                decimalOrZero(row.averageMs), decimalOrZero(row.minMs), decimalOrZero(row.maxMs),
                decimalOrZero(row.averageBytes, 2), rate(row.requestsPerSecond),
                rate(row.failuresPerSecond)}
            + percentileCells(row));
    }
    return joinLines(lines);
}

QByteArray CsvReport::failuresCsv(const ReportRecorder& recorder)
{
    QList<QStringList> lines {failuresHeader()};
    const QList<FailureEntry> failures = recorder.failures();
    for (const FailureEntry& failure : failures) {
        lines.append({CsvFormat::text(failure.method), CsvFormat::text(failure.name),
            CsvFormat::text(failure.error), QString::number(failure.occurrences)});
    }
    return joinLines(lines);
}

QByteArray CsvReport::historyCsv(const ReportRecorder& recorder)
{
    QByteArray text;
    QBuffer buffer(&text);
    buffer.open(QIODevice::WriteOnly);
    writeHistory(buffer, recorder);
    return text;
}

bool CsvReport::write(const QString& prefix, const ReportRecorder& recorder, QString* error)
{
    QString firstError;
    const auto note = [&firstError](bool ok, const QString& lineError) {
        if (ok)
            return;
        if (firstError.isEmpty())
            firstError = lineError;
        else
            qCWarning(lcReport).noquote() << lineError;
    };

    QString lineError;
    note(AtomicFileWriter::write(statsPath(prefix), statsCsv(recorder), &lineError), lineError);
    note(AtomicFileWriter::write(failuresPath(prefix), failuresCsv(recorder), &lineError),
        lineError);
    const auto history = [&recorder](QIODevice& device, QString*) {
        return writeHistory(device, recorder);
    };
    note(AtomicFileWriter::write(historyPath(prefix), history, &lineError), lineError);
    if (RequestCsvLog* log = recorder.requestLog())
        note(log->publish(requestsPath(prefix), &lineError), lineError);

    if (!firstError.isEmpty() && error)
        *error = firstError;
    return firstError.isEmpty();
}

} // namespace aimload
