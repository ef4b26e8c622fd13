"""The machinery that makes the course's library a product: you need none of it to learn CycleGAN.

`cli` (the `cyclegan-lab` command), `paint_files` and `submission` (paint
folders of files; a Kaggle `images.zip`), `download` and `files` (checked
downloads, atomic writes), `folder_lock` (one run per checkpoint folder),
`precision`, `optimizers` and `distribute` (number formats, a fused Adam,
several devices). The lesson's modules sit one level up, in `cyclegan_lab`.
"""
