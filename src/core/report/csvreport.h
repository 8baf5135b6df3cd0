#pragma once

#include <QByteArray>
#include <QCoreApplication>
#include <QString>
#include <QStringList>

namespace aimload {

class ReportRecorder;

// Locust's CSV files, with its column names and meanings, so that whatever reads
// `locust --csv PREFIX` reads these:
//   PREFIX_stats.csv          a line per name and "Aggregated"; times in ms, sizes in bytes
//   PREFIX_failures.csv       Method, Name, Error, Occurrences
//   PREFIX_stats_history.csv  the recorder's snapshots, a line per name and "Aggregated"
//                             each time (Locust's --csv-full-history layout)
//   PREFIX_requests.csv       aimload's own: one line per request (RequestCsvLog)
//
// Where aimload differs from Locust, on purpose:
// - Percentiles and medians are exact nearest-rank values rounded to whole milliseconds;
//   Locust rounds each sample to two significant digits first. They stay integers, as
//   scripts that read Locust's CSV may parse them with int().
// - In the history, percentiles are over the whole run so far (Locust's are over the last
//   10 s), and Requests/s and Failures/s are averaged over ReportRecorder::rateWindow()
//   (Locust: 10 s), since a request every few minutes makes a 10 s window read 0.
// - Text cells from prompts, pool files and the agent are neutralised against formula
//   injection (CsvFormat); numbers are not.
//
// Every file is written atomically (AtomicFileWriter).
class CsvReport
{
    Q_DECLARE_TR_FUNCTIONS(CsvReport)

public:
    // Writes the four files; requests.csv only when the recorder has a request log. Writes
    // what it can; on failure returns false with the first one-line error in *error.
    static bool write(const QString& prefix, const ReportRecorder& recorder, QString* error);

    static QString statsPath(const QString& prefix); // PREFIX_stats.csv
    static QString failuresPath(const QString& prefix);
    static QString historyPath(const QString& prefix);
    static QString requestsPath(const QString& prefix);
    static QString requestsPartialPath(const QString& prefix); // PREFIX_requests.csv.partial

    static QStringList statsHeader();
    static QStringList failuresHeader();
    static QStringList historyHeader();

    static QByteArray statsCsv(const ReportRecorder& recorder);
    static QByteArray failuresCsv(const ReportRecorder& recorder);
    static QByteArray historyCsv(const ReportRecorder& recorder);
};

} // namespace aimload
