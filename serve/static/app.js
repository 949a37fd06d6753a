// Upload page enhancement: drag and drop onto the form, and a progress
// bar while the bundle is sent. Without JavaScript the form posts as is.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  form.setAttribute("data-enhanced", "1"); // tests check that the script ran under the CSP
  var drop = document.getElementById("drop");
  var file = document.getElementById("file");
  var bar = document.getElementById("progress");
  var status = document.getElementById("status");
  ["dragenter", "dragover"].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      file.files = e.dataTransfer.files;
      status.textContent = e.dataTransfer.files[0].name + " ready to upload";
    }
  });
  form.addEventListener("submit", function (e) {
    if (!file.files.length) return;
    e.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false;
    xhr.upload.addEventListener("progress", function (p) {
      if (p.lengthComputable) {
        bar.value = Math.round(100 * p.loaded / p.total);
        status.textContent = "uploading: " + bar.value + "%";
      }
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {}; }
      if (xhr.status === 202 && body.page) {
        status.textContent = "uploaded; analyzing";
        window.location.assign(body.page);
      } else {
        status.textContent = "upload failed: " + (body.error || xhr.status);
      }
    });
    xhr.addEventListener("error", function () { status.textContent = "upload failed: the connection was lost"; });
    xhr.send(new FormData(form));
  });
})();
