#pragma once

#include "agent/requestrecord.h"

#include <QCoreApplication>
#include <QFile>
#include <QString>
#include <QStringList>

namespace aimload {

// Every finished request as one CSV line, appended to a side file as it comes so that no
// record has to stay in memory; publish() turns the side file into the final
// PREFIX_requests.csv atomically. The side file is a valid CSV on its own: after a crash
// it holds every request up to the last one.
class RequestCsvLog
{
    Q_DECLARE_TR_FUNCTIONS(RequestCsvLog)

public:
    // partialPath is usually PREFIX_requests.csv.partial.
    explicit RequestCsvLog(QString partialPath);
    ~RequestCsvLog();

    // Creates (or empties) the side file and writes the header. On failure returns false
    // and sets *error to one line naming the file.
    bool open(QString* error);
    bool isOpen() const { return m_file.isOpen(); }
    QString partialPath() const { return m_file.fileName(); }
    qint64 rowCount() const { return m_rows; }

    // Appends one line and hands it to the operating system; false once writing failed.
    bool append(const RequestRecord& record);

    // Copies what the side file holds into finalPath, atomically. The log stays open.
    bool publish(const QString& finalPath, QString* error);
    // Closes the side file and deletes it: call it once the final file is written.
    void discard();

    static QStringList header();
    static QStringList cells(const RequestRecord& record);

private:
    QFile m_file;
    qint64 m_rows = 0;
    bool m_failed = false;
};

} // namespace aimload
