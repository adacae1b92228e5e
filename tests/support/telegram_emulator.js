// Starts the telegram-test-api Bot API emulator on 127.0.0.1:<port> until stdin closes or SIGTERM.
const TelegramServer = require("telegram-test-api");

const port = Number(process.argv[2] || 9000);
const server = new TelegramServer({ port, host: "127.0.0.1", storeTimeout: 600 });
server.start().then(() => console.log(`ready ${port}`));
const stop = () => server.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
