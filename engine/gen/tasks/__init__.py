"""One module per task; each turns a GenContext into native-rate frames."""

from engine.gen.tasks import bridge, extend, image_to_video, long_take, text_to_video

TASKS = {
    "text_to_video": text_to_video,
    "image_to_video": image_to_video,
    "extend": extend,
    "bridge": bridge,
    "long_take": long_take,
}
