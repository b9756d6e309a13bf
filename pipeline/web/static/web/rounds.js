// 鉴定批次: a photo folder chosen for upload keeps its sub-folders (照片/2026/张三.jpg). Browsers send that path as
// the file's name but the server keeps only its last part, so the paths go beside the files in a hidden field
// (a JSON list in the files' order); the server checks each against its file (pipeline/web/uploads.py).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[type=file][data-paths-field]").forEach(function (input) {
    var field = input.form && input.form.elements.namedItem(input.dataset.pathsField);
    if (!field) return;
    var fill = function () {
      field.value = JSON.stringify(Array.prototype.map.call(input.files, function (file) {
        return file.webkitRelativePath || file.name;
      }));
    };
    input.addEventListener("change", fill);
    fill();
  });
});
