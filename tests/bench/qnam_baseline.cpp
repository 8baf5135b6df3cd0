// The plainest use of QNetworkAccessManager for the throughput benchmark: keeps N POSTs
// of the chat body in flight against one URL for a while, then prints the requests
// completed and the CPU seconds the process used (all threads, getrusage). A floor for
// what aimload's client costs on top of Qt's HTTP stack.
//
//   qnam_baseline URL [IN_FLIGHT=50] [MANAGERS=1] [SECONDS=20] [METHOD=POST]
//
// METHOD GET sends the same requests without a body, to show what the upload costs.
// Built with the tests (target qnam_baseline, not part of ctest). With MANAGERS > 1 the
// requests are spread over the managers as aimload spreads them (at most six each).
// It refuses any host that is not a loopback address. The throughput benchmark's setting:
// the bench's nginx (nginx.conf.in, started as bench.py's Nginx does) and
//   /usr/bin/time -v qnam_baseline http://127.0.0.1:PORT/chat 50 9 20
// then requests (nginx's count or the line printed) over user + system seconds.

#include <QCoreApplication>
#include <QHostAddress>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrl>

#include <sys/resource.h>

#include <cstdio>
#include <functional>
#include <vector>

using namespace Qt::StringLiterals;

namespace {

double cpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        std::fprintf(
            stderr, "usage: qnam_baseline URL [IN_FLIGHT] [MANAGERS] [SECONDS] [POST|GET]\n");
        return 2;
    }
    const QUrl url(args.at(1));
    const int inFlight = args.size() > 2 ? args.at(2).toInt() : 50;
    const int managerCount = args.size() > 3 ? args.at(3).toInt() : 1;
    const int seconds = args.size() > 4 ? args.at(4).toInt() : 20;
    const QString method = args.size() > 5 ? args.at(5) : u"POST"_s;
    if (!QHostAddress(url.host()).isLoopback() || inFlight < 1 || managerCount < 1
        || (method != u"POST" && method != u"GET")) {
        std::fprintf(
            stderr, "qnam_baseline: needs a loopback URL, positive counts and POST or GET\n");
        return 2;
    }
    const bool get = method == u"GET";

    std::vector<QNetworkAccessManager*> managers;
    for (int i = 0; i < managerCount; ++i)
        managers.push_back(new QNetworkAccessManager(&app));

    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    const QByteArray body
        = QByteArrayLiteral(R"({"message":"Hello! What can you help me with?","model":"a"})");

    qint64 done = 0;
    qint64 failed = 0;
    bool stopping = false;
    std::function<void(QNetworkAccessManager*)> post = [&](QNetworkAccessManager* manager) {
        QNetworkReply* reply = get ? manager->get(request) : manager->post(request, body);
        QObject::connect(reply, &QNetworkReply::finished, reply, [&, reply, manager] {
            reply->deleteLater();
            if (reply->error() == QNetworkReply::NoError && !reply->readAll().isEmpty())
                ++done;
            else
                ++failed;
            if (!stopping)
                post(manager);
        });
    };

    const double cpuStart = cpuSeconds();
    for (int i = 0; i < inFlight; ++i)
        post(managers[std::size_t(i * managerCount / inFlight)]);
    QTimer::singleShot(seconds * 1000, &app, [&] {
        stopping = true;
        const double cpu = cpuSeconds() - cpuStart;
        std::printf("requests %lld failed %lld cpu_s %.2f req_per_s %.0f req_per_cpu_s %.0f\n",
            done, failed, cpu, double(done) / seconds, double(done) / cpu);
        app.quit();
    });
    return app.exec();
}
