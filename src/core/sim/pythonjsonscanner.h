#pragma once

#include <QList>
#include <QString>
#include <QStringView>

#include <optional>
#include <utility>

namespace aimload::sim {

// Walks text the way CPython's json scanner does, only to find the message and the
// position json.loads() reports for invalid input (positions count code points).
class PythonJsonScanner
{
public:
    explicit PythonJsonScanner(const QString& text);

    // The error json.loads() raises, or nullopt when it would accept the text.
    std::optional<std::pair<QString, qsizetype>> error();

private:
    bool fail(const QString& message, qsizetype position);
    uint at(qsizetype i) const { return i < m_text.size() ? m_text.at(i) : 0; }
    qsizetype skipSpace(qsizetype i) const;
    bool literal(qsizetype& i, QStringView word);

    bool value(qsizetype& i);
    bool number(qsizetype& i);
    bool string(qsizetype& i);
    bool object(qsizetype& i);
    bool array(qsizetype& i);

    QList<uint> m_text;
    QString m_message;
    qsizetype m_position = 0;
};

} // namespace aimload::sim
