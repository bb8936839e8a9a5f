<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Shotloom</name>
    <message>
        <source>Split Shot</source>
        <translation>分割镜头</translation>
    </message>
    <message>
        <source>Duplicate Shot</source>
        <translation>复制镜头</translation>
    </message>
    <message>
        <source>Clear Transition</source>
        <translation>清除转场</translation>
    </message>
    <message>
        <source>Set Transition</source>
        <translation>设置转场</translation>
    </message>
    <message>
        <source>Trim Shot</source>
        <translation>修剪镜头</translation>
    </message>
    <message>
        <source>Roll Cut</source>
        <translation>滚动剪辑点</translation>
    </message>
    <message>
        <source>Add Marker</source>
        <translation>添加标记</translation>
    </message>
    <message>
        <source>Delete Marker</source>
        <translation>删除标记</translation>
    </message>
    <message>
        <source>Edit Marker</source>
        <translation>编辑标记</translation>
    </message>
    <message>
        <source>Move Marker</source>
        <translation>移动标记</translation>
    </message>
    <message>
        <source>Move Shot</source>
        <translation>移动镜头</translation>
    </message>
    <message>
        <source>Move Shots</source>
        <translation>移动多个镜头</translation>
    </message>
    <message>
        <source>The playhead is on a cut; move it inside a shot to split</source>
        <translation>播放头位于剪切点上；请把它移到镜头内部再分割</translation>
    </message>
    <message>
        <source>Delete Shot</source>
        <translation>删除镜头</translation>
    </message>
    <message>
        <source>Delete Shots</source>
        <translation>删除多个镜头</translation>
    </message>
    <message>
        <source>Select a shot after the first one to set its transition in</source>
        <translation>请选择第一个之后的镜头来设置它的入点转场</translation>
    </message>
    <message>
        <source>There is already a marker at this frame; double-click it to edit it</source>
        <translation>这一帧已有标记；双击它即可编辑</translation>
    </message>
    <message>
        <source>No marker at the playhead</source>
        <translation>播放头处没有标记</translation>
    </message>
    <message>
        <source>No marker at the playhead; press M to add one</source>
        <translation>播放头处没有标记；按 M 添加一个</translation>
    </message>
    <message>
        <source>The shot is already first</source>
        <translation>这个镜头已经是第一个</translation>
    </message>
    <message>
        <source>The shot is already last</source>
        <translation>这个镜头已经是最后一个</translation>
    </message>
    <message>
        <source>No marker before the playhead</source>
        <translation>播放头之前没有标记</translation>
    </message>
    <message>
        <source>No marker after the playhead</source>
        <translation>播放头之后没有标记</translation>
    </message>
    <message>
        <source>{name} copy</source>
        <translation>{name} 副本</translation>
    </message>
    <message>
        <source>Marker {n}</source>
        <translation>标记 {n}</translation>
    </message>
    <message>
        <source>Seams</source>
        <translation>接缝</translation>
    </message>
    <message>
        <source>{verdict} · score {score:.2f} · {expected}</source>
        <translation>{verdict} · 分数 {score:.2f} · {expected}</translation>
    </message>
    <message>
        <source>Analysis queued…</source>
        <translation>分析已排队…</translation>
    </message>
    <message>
        <source>flash</source>
        <translation>闪帧</translation>
    </message>
    <message>
        <source>colour jump</source>
        <translation>颜色跳变</translation>
    </message>
    <message>
        <source>frozen frames</source>
        <translation>定格帧</translation>
    </message>
    <message>
        <source>dropped frames</source>
        <translation>丢帧</translation>
    </message>
    <message>
        <source>motion turn</source>
        <translation>运动突变</translation>
    </message>
    <message>
        <source>black frame</source>
        <translation>黑帧</translation>
    </message>
    <message>
        <source>jump (picture skips)</source>
        <translation>跳切（画面跳跃）</translation>
    </message>
    <message>
        <source>continuous</source>
        <translation>连续</translation>
    </message>
    <message>
        <source>cut</source>
        <translation>切换</translation>
    </message>
    <message>
        <source>transition</source>
        <translation>转场</translation>
    </message>
    <message>
        <source>clean</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>defect</source>
        <translation>缺陷</translation>
    </message>
    <message>
        <source>The engine is still starting; try again in a moment</source>
        <translation>引擎仍在启动，请稍后再试</translation>
    </message>
    <message>
        <source>The timeline changed while the repair was made; it was not applied</source>
        <translation>修复期间时间线已更改；修复未应用</translation>
    </message>
    <message>
        <source>Repair Seam: Match Colour</source>
        <translation>修复接缝：匹配颜色</translation>
    </message>
    <message>
        <source>Repair Seam: Flow Blend</source>
        <translation>修复接缝：光流过渡</translation>
    </message>
    <message>
        <source>Repair Seam: Generated Bridge</source>
        <translation>修复接缝：生成衔接镜头</translation>
    </message>
    <message>
        <source>Analysing… {done}/{total} frames</source>
        <translation>正在分析… {done}/{total} 帧</translation>
    </message>
    <message>
        <source>{n} seams · {d} with defects</source>
        <translation>{n} 个接缝 · {d} 个有缺陷</translation>
    </message>
    <message>
        <source>The timeline changed; analysing again…</source>
        <translation>时间线已更改；正在重新分析…</translation>
    </message>
    <message>
        <source>The timeline changed since the last analysis</source>
        <translation>自上次分析以来时间线已更改</translation>
    </message>
    <message>
        <source>Analysis canceled</source>
        <translation>分析已取消</translation>
    </message>
    <message>
        <source>The repair failed: {why}</source>
        <translation>修复失败：{why}</translation>
    </message>
    <message>
        <source>Repairing… {done}/{total} frames</source>
        <translation>正在修复… {done}/{total} 帧</translation>
    </message>
    <message>
        <source>{eta} left</source>
        <translation>剩余 {eta}</translation>
    </message>
    <message>
        <source>Analysis failed: {why}</source>
        <translation>分析失败：{why}</translation>
    </message>
    <message>
        <source>The continuity analysis failed: {why}</source>
        <translation>连贯性分析失败：{why}</translation>
    </message>
    <message>
        <source>Upscale ×{n}</source>
        <translation>放大 ×{n}</translation>
    </message>
    <message>
        <source>{what} of “{name}” queued</source>
        <translation>“{name}”的{what}已加入队列</translation>
    </message>
    <message>
        <source>Slow motion ×{n}</source>
        <translation>慢动作 ×{n}</translation>
    </message>
    <message>
        <source>Interpolate to {fps} fps</source>
        <translation>插帧到 {fps} fps</translation>
    </message>
    <message>
        <source>{name} ↦</source>
        <translation>{name} ↦</translation>
    </message>
    <message>
        <source>↤ {name}</source>
        <translation>↤ {name}</translation>
    </message>
    <message>
        <source>Keep a Generated Take (its shot was deleted)</source>
        <translation>保留生成的镜次（其镜头已删除）</translation>
    </message>
    <message>
        <source>Select a shot that has a prompt (imported footage is not generated)</source>
        <translation>请选择一个有提示词的镜头（导入的素材不能生成）</translation>
    </message>
    <message>
        <source>Every shot is generated; nothing is pending or stale</source>
        <translation>所有镜头都已生成，没有待生成或已过期的镜头</translation>
    </message>
    <message>
        <source>Select a shot that has a shot after it to bridge to</source>
        <translation>请选择后面还有镜头的镜头来生成衔接</translation>
    </message>
    <message>
        <source>A long take</source>
        <translation>一个长镜头</translation>
    </message>
    <message>
        <source>New Seed</source>
        <translation>新种子</translation>
    </message>
    <message>
        <source>Upscaled Take for “{name}”</source>
        <translation>“{name}”的放大版本</translation>
    </message>
    <message>
        <source>A generated take was kept in the project (Takes panel); its shot had been deleted</source>
        <translation>生成的镜次已保留在项目中（见镜次面板）；它的镜头已被删除</translation>
    </message>
    <message>
        <source>Select one shot first</source>
        <translation>请先选择一个镜头</translation>
    </message>
    <message>
        <source>Interpolated Take for “{name}”</source>
        <translation>“{name}”的插帧版本</translation>
    </message>
    <message>
        <source>Generated Take for “{name}”</source>
        <translation>“{name}”的生成镜次</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <source>{n} shot(s) queued for generation</source>
        <translation>{n} 个镜头已加入生成队列</translation>
    </message>
    <message>
        <source>New Shot “{name}”</source>
        <translation>新镜头“{name}”</translation>
    </message>
    <message>
        <source>Generate or import “{name}” before extending it</source>
        <translation>请先生成或导入“{name}”，再延长它</translation>
    </message>
    <message>
        <source>Import Media</source>
        <translation>导入素材</translation>
    </message>
    <message>
        <source>Import to Media Bin</source>
        <translation>导入到素材箱</translation>
    </message>
    <message>
        <source>Importing…</source>
        <translation>正在导入…</translation>
    </message>
    <message>
        <source>Some Files Were Not Imported</source>
        <translation>部分文件未能导入</translation>
    </message>
    <message>
        <source>Import {n} Files to the Media Bin</source>
        <translation>导入 {n} 个文件到素材箱</translation>
    </message>
    <message>
        <source>Import {name} to the Media Bin</source>
        <translation>导入 {name} 到素材箱</translation>
    </message>
    <message>
        <source>Import {n} Files</source>
        <translation>导入 {n} 个文件</translation>
    </message>
    <message>
        <source>Import {name}</source>
        <translation>导入 {name}</translation>
    </message>
    <message>
        <source>All files</source>
        <translation>所有文件</translation>
    </message>
    <message>
        <source>Already in the media bin</source>
        <translation>已在素材箱中</translation>
    </message>
    <message>
        <source>Importing {name} ({n} of {total})</source>
        <translation>正在导入 {name}（第 {n}/{total} 个）</translation>
    </message>
    <message>
        <source>Some Files Are Damaged</source>
        <translation>部分文件已损坏</translation>
    </message>
    <message>
        <source>Media files</source>
        <translation>媒体文件</translation>
    </message>
    <message>
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图片</translation>
    </message>
    <message>
        <source>Sound</source>
        <translation>声音</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近的项目(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Generate</source>
        <translation>生成(&amp;G)</translation>
    </message>
    <message>
        <source>F&amp;inish</source>
        <translation>成片处理(&amp;I)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Compare A/B</source>
        <translation>A/B 对比(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Panels</source>
        <translation>面板(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Playback</source>
        <translation>播放(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Toolbar</source>
        <translation>工具栏</translation>
    </message>
    <message>
        <source>&amp;Interpolate to</source>
        <translation>插帧到(&amp;I)</translation>
    </message>
    <message>
        <source>About Shotloom</source>
        <translation>关于 Shotloom</translation>
    </message>
    <message>
        <source>Media</source>
        <translation>素材</translation>
    </message>
    <message>
        <source>Storyboard</source>
        <translation>故事板</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <source>Shot</source>
        <translation>镜头</translation>
    </message>
    <message>
        <source>Takes</source>
        <translation>镜次</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>队列</translation>
    </message>
    <message>
        <source>Markers</source>
        <translation>标记</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>No project</source>
        <translation>没有项目</translation>
    </message>
    <message>
        <source>Roll {delta:+d} frames</source>
        <translation>滚动 {delta:+d} 帧</translation>
    </message>
    <message>
        <source>“{name}” is now {frames} frames ({length})</source>
        <translation>“{name}”现在是 {frames} 帧（{length}）</translation>
    </message>
    <message>
        <source>Crossfade</source>
        <translation>交叉溶解</translation>
    </message>
    <message>
        <source>Dip to black</source>
        <translation>黑场过渡</translation>
    </message>
    <message>
        <source>Dip to white</source>
        <translation>白场过渡</translation>
    </message>
    <message>
        <source>Cut (no transition)</source>
        <translation>硬切（无转场）</translation>
    </message>
    <message>
        <source>Autosaved</source>
        <translation>已自动保存</translation>
    </message>
    <message>
        <source>{w}×{h} · {rate} fps · {n} shots</source>
        <translation>{w}×{h} · {rate} fps · {n} 个镜头</translation>
    </message>
    <message>
        <source>Head {delta:+d} frames</source>
        <translation>头部 {delta:+d} 帧</translation>
    </message>
    <message>
        <source>Tail {delta:+d} frames</source>
        <translation>尾部 {delta:+d} 帧</translation>
    </message>
    <message>
        <source>&lt;b&gt;Shotloom&lt;/b&gt; {version}&lt;br&gt;A local AI video studio: storyboard, timeline and a frame-exact viewer over a local generation engine.&lt;br&gt;&lt;br&gt;Qt {qt} · PySide6 {pyside} · Python {py}</source>
        <translation>&lt;b&gt;Shotloom&lt;/b&gt; {version}&lt;br&gt;本地 AI 视频工作室：故事板、时间线和逐帧精确的预览，基于本地生成引擎。&lt;br&gt;&lt;br&gt;Qt {qt} · PySide6 {pyside} · Python {py}</translation>
    </message>
    <message>
        <source>Edit Transition…</source>
        <translation>编辑转场…</translation>
    </message>
    <message>
        <source>Change Project Settings</source>
        <translation>修改项目设置</translation>
    </message>
    <message>
        <source>The key {key} is used by two commands (“{a}” and “{b}”); change one in Settings › Keyboard</source>
        <translation>按键 {key} 被两个命令使用（“{a}”和“{b}”）；请在 设置 › 键盘 中修改其中一个</translation>
    </message>
    <message>
        <source>No sound: {why}. Playback goes on without it.</source>
        <translation>没有声音：{why}。播放会继续，只是听不到。</translation>
    </message>
    <message>
        <source>The engine could not start: {why}</source>
        <translation>引擎无法启动：{why}</translation>
    </message>
    <message>
        <source>&amp;Undo {what}</source>
        <translation>撤销 {what}(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo {what}</source>
        <translation>重做 {what}(&amp;R)</translation>
    </message>
    <message>
        <source>{fps} fps</source>
        <translation>{fps} fps</translation>
    </message>
    <message>
        <source>Open Project</source>
        <translation>打开项目</translation>
    </message>
    <message>
        <source>Save Project As</source>
        <translation>项目另存为</translation>
    </message>
    <message>
        <source>Shotloom projects (*.shotloom)</source>
        <translation>Shotloom 项目 (*.shotloom)</translation>
    </message>
    <message>
        <source>Project Changed on Disk</source>
        <translation>项目文件已在磁盘上更改</translation>
    </message>
    <message>
        <source>Reload</source>
        <translation>重新载入</translation>
    </message>
    <message>
        <source>Keep Mine</source>
        <translation>保留我的版本</translation>
    </message>
    <message>
        <source>Setting up the demo project…</source>
        <translation>正在准备演示项目…</translation>
    </message>
    <message>
        <source>No changes to save</source>
        <translation>没有需要保存的更改</translation>
    </message>
    <message>
        <source>Reload it? Your unsaved changes here are lost when you reload.</source>
        <translation>要重新载入吗？重新载入后，这里未保存的更改将丢失。</translation>
    </message>
    <message>
        <source>Reload it to see the changes?</source>
        <translation>要重新载入以查看这些更改吗？</translation>
    </message>
    <message>
        <source>Demo</source>
        <translation>演示</translation>
    </message>
    <message>
        <source>Cannot Open Project</source>
        <translation>无法打开项目</translation>
    </message>
    <message>
        <source>Cannot Create Project</source>
        <translation>无法创建项目</translation>
    </message>
    <message>
        <source>Cannot Save</source>
        <translation>无法保存</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>已保存 {path}</translation>
    </message>
    <message>
        <source>{path} was changed by another program.</source>
        <translation>{path} 已被其他程序更改。</translation>
    </message>
    <message>
        <source>Reloaded {path}</source>
        <translation>已重新载入 {path}</translation>
    </message>
    <message>
        <source>Recovery Failed</source>
        <translation>恢复失败</translation>
    </message>
    <message>
        <source>Opened the recovered copy {path}</source>
        <translation>已打开恢复的副本 {path}</translation>
    </message>
    <message>
        <source>micro-ltx, the small model that ships with Shotloom, generates the demo's shots now: watch them appear</source>
        <translation>Shotloom 自带的小模型 micro-ltx 正在生成演示镜头：请看它们逐个出现</translation>
    </message>
    <message>
        <source>The demo could not be made: {why}</source>
        <translation>无法制作演示：{why}</translation>
    </message>
    <message>
        <source>No recent projects</source>
        <translation>没有最近的项目</translation>
    </message>
    <message>
        <source>The demo project is ready: {path}</source>
        <translation>演示项目已就绪：{path}</translation>
    </message>
    <message>
        <source>This machine</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>Farm at URL…</source>
        <translation>指定网址的渲染农场…</translation>
    </message>
    <message>
        <source>Where shots are generated: on this machine, or on a farm of GPU machines (`shotloom farm serve`); the project stays here</source>
        <translation>镜头在哪里生成：本机，或由多台 GPU 机器组成的渲染农场（`shotloom farm serve`）；项目始终留在本机</translation>
    </message>
    <message>
        <source>Render on: farm (error)</source>
        <translation>渲染于：农场（出错）</translation>
    </message>
    <message>
        <source>Shots are now generated on this machine</source>
        <translation>镜头现在在本机生成</translation>
    </message>
    <message>
        <source>Render on: this machine</source>
        <translation>渲染于：本机</translation>
    </message>
    <message>
        <source>Render on: farm (checking…)</source>
        <translation>渲染于：农场（检查中…）</translation>
    </message>
    <message>
        <source>Render on: farm (token refused)</source>
        <translation>渲染于：农场（令牌被拒绝）</translation>
    </message>
    <message>
        <source>Render on: farm (not reachable)</source>
        <translation>渲染于：农场（无法连接）</translation>
    </message>
    <message>
        <source>Farm {url}</source>
        <translation>农场 {url}</translation>
    </message>
    <message>
        <source>Shots are now generated on the farm {url}</source>
        <translation>镜头现在在农场 {url} 上生成</translation>
    </message>
    <message>
        <source>Render on: farm ({nodes} node(s), {gpus} GPU(s))</source>
        <translation>渲染于：农场（{nodes} 个节点，{gpus} 个 GPU）</translation>
    </message>
    <message>
        <source>no generation (light install)</source>
        <translation>无法生成（精简安装）</translation>
    </message>
    <message>
        <source>{free} free</source>
        <translation>可用 {free}</translation>
    </message>
    <message>
        <source>The farm's agent could not start: {why}</source>
        <translation>农场代理进程无法启动：{why}</translation>
    </message>
    <message>
        <source>Farm {url}: {nodes} node(s), {gpus} GPU(s), {workers} worker(s) ready · {running} rendering, {queued} waiting</source>
        <translation>农场 {url}：{nodes} 个节点，{gpus} 个 GPU，{workers} 个工作进程就绪 · {running} 个正在渲染，{queued} 个等待中</translation>
    </message>
    <message>
        <source>Farm {url}: checking…</source>
        <translation>农场 {url}：检查中…</translation>
    </message>
    <message>
        <source>The farm at {url} refused the token: run `shotloom farm token` on the farm and paste the current one in Render on › Farm at URL…</source>
        <translation>农场 {url} 拒绝了令牌：请在农场上运行 `shotloom farm token`，并将当前令牌粘贴到 渲染于 › 指定网址的渲染农场…</translation>
    </message>
    <message>
        <source>No token for the farm at {url}: run `shotloom farm token` on the farm and paste it in Render on › Farm at URL…</source>
        <translation>没有农场 {url} 的令牌：请在农场上运行 `shotloom farm token`，并将结果粘贴到 渲染于 › 指定网址的渲染农场…</translation>
    </message>
    <message>
        <source>The farm at {url} cannot be reached: start `shotloom farm serve` there (or your SSH tunnel); queued shots wait until it answers</source>
        <translation>无法连接农场 {url}：请在那台机器上启动 `shotloom farm serve`（或你的 SSH 隧道）；排队的镜头会等到它响应</translation>
    </message>
    <message>
        <source>“{url}” is not a farm URL like http://127.0.0.1:8765 or https://gpu-box:8765</source>
        <translation>“{url}”不是有效的农场网址，应类似 http://127.0.0.1:8765 或 https://gpu-box:8765</translation>
    </message>
    <message>
        <source>Engine idle (queue paused)</source>
        <translation>引擎空闲（队列已暂停）</translation>
    </message>
    <message>
        <source>The engine says which device it uses (GPU and free memory, or CPU) when it reports it</source>
        <translation>引擎报告后会显示它使用的设备（GPU 及可用显存，或 CPU）</translation>
    </message>
    <message>
        <source>Device: not reported yet</source>
        <translation>设备：尚未报告</translation>
    </message>
    <message>
        <source>Replay Recipe</source>
        <translation>重放配方</translation>
    </message>
    <message>
        <source>Engine off</source>
        <translation>引擎未启动</translation>
    </message>
    <message>
        <source>Engine starting…</source>
        <translation>引擎启动中…</translation>
    </message>
    <message>
        <source>Engine idle</source>
        <translation>引擎空闲</translation>
    </message>
    <message>
        <source>Engine restarting…</source>
        <translation>引擎重启中…</translation>
    </message>
    <message>
        <source>Engine error</source>
        <translation>引擎错误</translation>
    </message>
    <message>
        <source>Replay: the frames came out identical to the original take.</source>
        <translation>重放：生成的帧与原镜次完全相同。</translation>
    </message>
    <message>
        <source>Replay: the frames differ from the original take (another device, library version or memory tier can change them).</source>
        <translation>重放：生成的帧与原镜次不同（设备、库版本或显存档位不同都可能改变结果）。</translation>
    </message>
    <message>
        <source>Replay finished; the two takes could not be compared (a recipe is missing).</source>
        <translation>重放完成；无法比较这两个镜次（缺少配方）。</translation>
    </message>
    <message>
        <source>A prompt is needed: describe what the shot shows</source>
        <translation>需要提示词：描述镜头里的内容</translation>
    </message>
    <message>
        <source>Generating “{name}” · {p}%</source>
        <translation>正在生成“{name}” · {p}%</translation>
    </message>
    <message>
        <source>Engine busy {n}</source>
        <translation>引擎忙碌 {n}</translation>
    </message>
    <message>
        <source>noise generator (test model)</source>
        <translation>噪声生成器（测试模型）</translation>
    </message>
    <message>
        <source>Unsaved Changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <source>If you don't save, your changes since the last save are lost.</source>
        <translation>如果不保存，自上次保存以来的更改将会丢失。</translation>
    </message>
    <message>
        <source>Recover Unsaved Work</source>
        <translation>恢复未保存的工作</translation>
    </message>
    <message>
        <source>Open Recovered Copy</source>
        <translation>打开恢复的副本</translation>
    </message>
    <message>
        <source>Discard Autosave</source>
        <translation>丢弃自动保存</translation>
    </message>
    <message>
        <source>Not Now</source>
        <translation>以后再说</translation>
    </message>
    <message>
        <source>Transition</source>
        <translation>转场</translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation>类型：</translation>
    </message>
    <message>
        <source>Length:</source>
        <translation>长度：</translation>
    </message>
    <message>
        <source>New Shot</source>
        <translation>新镜头</translation>
    </message>
    <message>
        <source>What the shot shows, e.g. “a lighthouse at dusk, waves, slow push in”</source>
        <translation>镜头里的内容，例如“黄昏时的灯塔，海浪，缓慢推近”</translation>
    </message>
    <message>
        <source>Generate it now</source>
        <translation>立即生成</translation>
    </message>
    <message>
        <source>Prompt:</source>
        <translation>提示词：</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Duration:</source>
        <translation>时长：</translation>
    </message>
    <message>
        <source>Add Shot</source>
        <translation>添加镜头</translation>
    </message>
    <message>
        <source>frames</source>
        <translation>帧</translation>
    </message>
    <message>
        <source>Save the changes to “{name}” before closing?</source>
        <translation>关闭前是否保存对“{name}”的更改？</translation>
    </message>
    <message>
        <source>Shotloom found unsaved changes to “{name}” from {when}, newer than the saved project. It looks like the editor did not close normally.

Open them as a copy next to the original? Your saved project is not changed.</source>
        <translation>Shotloom 找到了“{name}”在 {when} 的未保存更改，比已保存的项目更新。编辑器上次似乎没有正常关闭。

要将它们作为副本在原项目旁边打开吗？已保存的项目不会被改动。</translation>
    </message>
    <message>
        <source>Timeline: OpenTimelineIO (.otio)</source>
        <translation>时间线：OpenTimelineIO (.otio)</translation>
    </message>
    <message>
        <source>Timeline: Final Cut Pro XML (.xml)</source>
        <translation>时间线：Final Cut Pro XML (.xml)</translation>
    </message>
    <message>
        <source>Timeline: CMX 3600 EDL (.edl, picture only)</source>
        <translation>时间线：CMX 3600 EDL（.edl，仅画面）</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Open Folder</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>Format:</source>
        <translation>格式：</translation>
    </message>
    <message>
        <source>Range:</source>
        <translation>范围：</translation>
    </message>
    <message>
        <source>Output:</source>
        <translation>输出：</translation>
    </message>
    <message>
        <source>Whole cut</source>
        <translation>整个剪辑</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Open the folder when done</source>
        <translation>完成后打开文件夹</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <source>Export canceled; no file was written.</source>
        <translation>导出已取消；没有写入任何文件。</translation>
    </message>
    <message>
        <source>In to out (set them with I and O)</source>
        <translation>入点到出点（用 I 和 O 设置）</translation>
    </message>
    <message>
        <source>Export To</source>
        <translation>导出到</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Frame {done} of {total}</source>
        <translation>第 {done}/{total} 帧</translation>
    </message>
    <message>
        <source>Canceling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Ready to export {frames} frames ({length}).</source>
        <translation>准备导出 {frames} 帧（{length}）。</translation>
    </message>
    <message>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
    <message>
        <source>Export failed: {message}</source>
        <translation>导出失败：{message}</translation>
    </message>
    <message>
        <source>In to out ({start} – {end})</source>
        <translation>入点到出点（{start} – {end}）</translation>
    </message>
    <message>
        <source>Writes the timeline ({n} shots) for another editor; the media stays where it is.</source>
        <translation>为其他剪辑软件写出时间线（{n} 个镜头）；素材保留在原处。</translation>
    </message>
    <message>
        <source>about {eta} left</source>
        <translation>剩余约 {eta}</translation>
    </message>
    <message>
        <source>Render on a Farm</source>
        <translation>在渲染农场上渲染</translation>
    </message>
    <message>
        <source>Generation runs on the farm; the project and its takes stay on this machine. On the farm, `shotloom farm serve` prints the URL and `shotloom farm token` the token.</source>
        <translation>生成在农场上运行；项目及其镜次保留在本机。在农场上，`shotloom farm serve` 会显示网址，`shotloom farm token` 会显示令牌。</translation>
    </message>
    <message>
        <source>the saved token, if there is one</source>
        <translation>已保存的令牌（如有）</translation>
    </message>
    <message>
        <source>Farm URL:</source>
        <translation>农场网址：</translation>
    </message>
    <message>
        <source>Token:</source>
        <translation>令牌：</translation>
    </message>
    <message>
        <source>Connect</source>
        <translation>连接</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>连接中…</translation>
    </message>
    <message>
        <source>Type the farm's URL, like http://127.0.0.1:8765</source>
        <translation>请输入农场网址，例如 http://127.0.0.1:8765</translation>
    </message>
    <message>
        <source>Add the chosen LoRA to this shot</source>
        <translation>把选中的 LoRA 加到此镜头</translation>
    </message>
    <message>
        <source>File…</source>
        <translation>文件…</translation>
    </message>
    <message>
        <source>Add a LoRA .safetensors file to the library and to this shot</source>
        <translation>把一个 LoRA .safetensors 文件加入库和此镜头</translation>
    </message>
    <message>
        <source>Add a LoRA</source>
        <translation>添加 LoRA</translation>
    </message>
    <message>
        <source>LoRA (*.safetensors)</source>
        <translation>LoRA (*.safetensors)</translation>
    </message>
    <message>
        <source>Forward (after the source)</source>
        <translation>向后（接在源镜头之后）</translation>
    </message>
    <message>
        <source>Backward (before the source)</source>
        <translation>向前（放在源镜头之前）</translation>
    </message>
    <message>
        <source>Final</source>
        <translation>成片</translation>
    </message>
    <message>
        <source>Draft (faster)</source>
        <translation>草稿（更快）</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>锁定</translation>
    </message>
    <message>
        <source>A locked seed is kept by “Regenerate with New Seed”</source>
        <translation>“用新种子重新生成”会保留锁定的种子</translation>
    </message>
    <message>
        <source>Shuffle: a new random seed</source>
        <translation>随机：换一个新的随机种子</translation>
    </message>
    <message>
        <source>model default</source>
        <translation>模型默认值</translation>
    </message>
    <message>
        <source>automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Image to video needs an image; pick one</source>
        <translation>图生视频需要一张图片，请选择一张</translation>
    </message>
    <message>
        <source>Pick an Image</source>
        <translation>选择图片</translation>
    </message>
    <message>
        <source>Text to video</source>
        <translation>文生视频</translation>
    </message>
    <message>
        <source>Image to video</source>
        <translation>图生视频</translation>
    </message>
    <message>
        <source>Extend</source>
        <translation>延长</translation>
    </message>
    <message>
        <source>Bridge</source>
        <translation>衔接</translation>
    </message>
    <message>
        <source>Long take</source>
        <translation>长镜头</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>All on the GPU (fastest)</source>
        <translation>全部放在 GPU 上（最快）</translation>
    </message>
    <message>
        <source>Offload to RAM</source>
        <translation>卸载到内存</translation>
    </message>
    <message>
        <source>Stream layers (least memory)</source>
        <translation>逐层流式加载（最省显存）</translation>
    </message>
    <message>
        <source>Remove this LoRA from the shot</source>
        <translation>从此镜头移除这个 LoRA</translation>
    </message>
    <message>
        <source>Task:</source>
        <translation>任务：</translation>
    </message>
    <message>
        <source>Avoid:</source>
        <translation>避免：</translation>
    </message>
    <message>
        <source>Prompt from second:</source>
        <translation>分段提示词（从第几秒起）：</translation>
    </message>
    <message>
        <source>Duration (s):</source>
        <translation>时长（秒）：</translation>
    </message>
    <message>
        <source>Size:</source>
        <translation>尺寸：</translation>
    </message>
    <message>
        <source>Seed:</source>
        <translation>种子：</translation>
    </message>
    <message>
        <source>Steps:</source>
        <translation>步数：</translation>
    </message>
    <message>
        <source>Guidance:</source>
        <translation>引导系数：</translation>
    </message>
    <message>
        <source>Image:</source>
        <translation>图片：</translation>
    </message>
    <message>
        <source>Source:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <source>Direction:</source>
        <translation>方向：</translation>
    </message>
    <message>
        <source>Context frames:</source>
        <translation>上下文帧数：</translation>
    </message>
    <message>
        <source>Memory:</source>
        <translation>显存：</translation>
    </message>
    <message>
        <source>Quality:</source>
        <translation>质量：</translation>
    </message>
    <message>
        <source>LoRAs:</source>
        <translation>LoRA：</translation>
    </message>
    <message>
        <source>From (s)</source>
        <translation>起点（秒）</translation>
    </message>
    <message>
        <source>Prompt</source>
        <translation>提示词</translation>
    </message>
    <message>
        <source>Status: {status}</source>
        <translation>状态：{status}</translation>
    </message>
    <message>
        <source>its last frames</source>
        <translation>它的最后几帧</translation>
    </message>
    <message>
        <source>its first frames</source>
        <translation>它的开头几帧</translation>
    </message>
    <message>
        <source>Unknown model; pick one from the catalog</source>
        <translation>未知模型，请从模型列表中选择</translation>
    </message>
    <message>
        <source>Test model: its output is noise; use it to try the workflow</source>
        <translation>测试模型：输出是噪声，用来试用工作流程</translation>
    </message>
    <message>
        <source>Reading {file}…</source>
        <translation>正在读取 {file}…</translation>
    </message>
    <message>
        <source>No LoRA in the library fits this model; add one with “shotloom lora add FILE”</source>
        <translation>库中没有适合此模型的 LoRA；用“shotloom lora add FILE”添加一个</translation>
    </message>
    <message>
        <source>Select one shot to see its recipe.</source>
        <translation>选择一个镜头以查看它的配方。</translation>
    </message>
    <message>
        <source>(deleted shot)</source>
        <translation>（已删除的镜头）</translation>
    </message>
    <message>
        <source>{frames} frames ({seconds:.2f} s at {rate:g} fps)</source>
        <translation>{frames} 帧（{seconds:.2f} 秒，{rate:g} fps）</translation>
    </message>
    <message>
        <source>{model} cannot do {task}; pick another model</source>
        <translation>{model} 不能做{task}，请换一个模型</translation>
    </message>
    <message>
        <source>{path} does not exist; pick an image file</source>
        <translation>{path} 不存在，请选择一个图片文件</translation>
    </message>
    <message>
        <source>A prompt starts at 0 s or later</source>
        <translation>提示词的起点必须不早于 0 秒</translation>
    </message>
    <message>
        <source>a shot it was made from changed; generate it again (Ctrl+G)</source>
        <translation>它所依据的镜头已更改，请重新生成（Ctrl+G）</translation>
    </message>
    <message>
        <source>“{name}”, from {end}</source>
        <translation>“{name}”，取自{end}</translation>
    </message>
    <message>
        <source>{model} makes sizes in steps of {m} pixels; {value} is not one (try {near})</source>
        <translation>{model} 的尺寸必须是 {m} 像素的倍数，{value} 不是（试试 {near}）</translation>
    </message>
    <message>
        <source>{model} makes at most {n} frames ({s:.1f} s) in one shot; use a long take for longer</source>
        <translation>{model} 一个镜头最多生成 {n} 帧（{s:.1f} 秒）；更长的请用长镜头</translation>
    </message>
    <message>
        <source>{n} shots selected; select one to see its recipe.</source>
        <translation>已选择 {n} 个镜头；选择一个以查看它的配方。</translation>
    </message>
    <message>
        <source>Imported footage ({file}): it has no generation recipe.</source>
        <translation>导入的素材（{file}）：没有生成配方。</translation>
    </message>
    <message>
        <source>the end of “{a}” and the start of “{b}”</source>
        <translation>“{a}”的结尾和“{b}”的开头</translation>
    </message>
    <message>
        <source>Needs at least {need}</source>
        <translation>至少需要 {need}</translation>
    </message>
    <message>
        <source>Fits this computer's memory (needs {need})</source>
        <translation>本机内存足够（需要 {need}）</translation>
    </message>
    <message>
        <source>“{text}” is not a time in seconds</source>
        <translation>“{text}”不是以秒为单位的时间</translation>
    </message>
    <message>
        <source>Fits this machine ({tier}; needs {need})</source>
        <translation>本机可以运行（{tier}；需要 {need}）</translation>
    </message>
    <message>
        <source>Too big for this machine: needs {need}, {free} free</source>
        <translation>本机内存不足：需要 {need}，可用 {free}</translation>
    </message>
    <message>
        <source>Red</source>
        <translation>红色</translation>
    </message>
    <message>
        <source>Orange</source>
        <translation>橙色</translation>
    </message>
    <message>
        <source>Yellow</source>
        <translation>黄色</translation>
    </message>
    <message>
        <source>Green</source>
        <translation>绿色</translation>
    </message>
    <message>
        <source>Cyan</source>
        <translation>青色</translation>
    </message>
    <message>
        <source>Blue</source>
        <translation>蓝色</translation>
    </message>
    <message>
        <source>Purple</source>
        <translation>紫色</translation>
    </message>
    <message>
        <source>Magenta</source>
        <translation>品红</translation>
    </message>
    <message>
        <source>Pink</source>
        <translation>粉色</translation>
    </message>
    <message>
        <source>White</source>
        <translation>白色</translation>
    </message>
    <message>
        <source>Black</source>
        <translation>黑色</translation>
    </message>
    <message>
        <source>Marker</source>
        <translation>标记</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Colour:</source>
        <translation>颜色：</translation>
    </message>
    <message>
        <source>Note:</source>
        <translation>备注：</translation>
    </message>
    <message>
        <source>No markers yet. Press M to mark the frame at the playhead.</source>
        <translation>还没有标记。按 M 标记播放头所在的帧。</translation>
    </message>
    <message>
        <source>Add at Playhead</source>
        <translation>在播放头处添加</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Colour</source>
        <translation>颜色</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Frame {frame}</source>
        <translation>第 {frame} 帧</translation>
    </message>
    <message>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <source>probing…</source>
        <translation>正在检测…</translation>
    </message>
    <message>
        <source>sound only</source>
        <translation>仅声音</translation>
    </message>
    <message>
        <source>audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <source>image · {w}×{h}</source>
        <translation>图像 · {w}×{h}</translation>
    </message>
    <message>
        <source>{n} frames</source>
        <translation>{n} 帧</translation>
    </message>
    <message>
        <source>imported</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>unreadable</source>
        <translation>无法读取</translation>
    </message>
    <message>
        <source>{shot} · take {n}</source>
        <translation>{shot} · 镜次 {n}</translation>
    </message>
    <message>
        <source>loose take of {shot}</source>
        <translation>{shot} 的独立镜次</translation>
    </message>
    <message>
        <source>used by {shot}</source>
        <translation>用于 {shot}</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Try It Now</source>
        <translation>立即试用</translation>
    </message>
    <message>
        <source>Generate a first shot with micro-ltx, which ships with Shotloom: no download</source>
        <translation>用 Shotloom 自带的 micro-ltx 生成第一个镜头：无需下载</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Add Local Folder…</source>
        <translation>添加本地文件夹…</translation>
    </message>
    <message>
        <source>Download canceled; what was downloaded is kept and resumes next time.</source>
        <translation>下载已取消；已下载的部分会保留，下次继续。</translation>
    </message>
    <message>
        <source>on the GPU</source>
        <translation>全部在 GPU 上</translation>
    </message>
    <message>
        <source>offloading</source>
        <translation>卸载到内存</translation>
    </message>
    <message>
        <source>streaming layers</source>
        <translation>逐层流式</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Tasks</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Needs</source>
        <translation>需要</translation>
    </message>
    <message>
        <source>On this computer</source>
        <translation>本机</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>built on first use</source>
        <translation>首次使用时构建</translation>
    </message>
    <message>
        <source>Cancel Download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>Canceling… the part already downloaded is kept and resumes next time.</source>
        <translation>正在取消… 已下载的部分会保留，下次继续。</translation>
    </message>
    <message>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <source>Model Folder (holding model_index.json)</source>
        <translation>模型文件夹（包含 model_index.json）</translation>
    </message>
    <message>
        <source>Model Name</source>
        <translation>模型名称</translation>
    </message>
    <message>
        <source>A short id for this model:</source>
        <translation>给这个模型起一个简短的 ID：</translation>
    </message>
    <message>
        <source>fits in memory</source>
        <translation>内存足够</translation>
    </message>
    <message>
        <source>ships with Shotloom</source>
        <translation>随 Shotloom 提供</translation>
    </message>
    <message>
        <source>Downloading {name} (about {size}) into {folder}…</source>
        <translation>正在下载 {name}（约 {size}）到 {folder}…</translation>
    </message>
    <message>
        <source>Downloaded to {path}</source>
        <translation>已下载到 {path}</translation>
    </message>
    <message>
        <source>Added {name}</source>
        <translation>已添加 {name}</translation>
    </message>
    <message>
        <source>No video model for your own shots is on this computer yet. Try It Now generates a first shot with micro-ltx, the small model that ships with Shotloom (coloured shapes moving over plain backgrounds). Download a model to generate anything else, or add a model folder you already have.</source>
        <translation>这台电脑上还没有可用于您自己镜头的视频模型。“立即试用”会用 Shotloom 自带的小模型 micro-ltx 生成第一个镜头（纯色背景上移动的彩色形状）。要生成其他内容，请下载模型，或添加您已有的模型文件夹。</translation>
    </message>
    <message>
        <source>too big</source>
        <translation>太大</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>not downloaded</source>
        <translation>未下载</translation>
    </message>
    <message>
        <source>This computer: {device}.</source>
        <translation>本机：{device}。</translation>
    </message>
    <message>
        <source>This computer: {device}; {free}.</source>
        <translation>本机：{device}；{free}。</translation>
    </message>
    <message>
        <source>device not reported yet</source>
        <translation>设备尚未报告</translation>
    </message>
    <message>
        <source>test model: a noise generator to try the workflow</source>
        <translation>测试模型：用于试用工作流程的噪声生成器</translation>
    </message>
    <message>
        <source>free memory unknown</source>
        <translation>可用内存未知</translation>
    </message>
    <message>
        <source>try it now: ships with Shotloom, no download (simple moving shapes)</source>
        <translation>立即试用：随 Shotloom 提供，无需下载（简单的移动形状）</translation>
    </message>
    <message>
        <source>fits ({tier})</source>
        <translation>可以运行（{tier}）</translation>
    </message>
    <message>
        <source>{free} of memory free</source>
        <translation>可用内存 {free}</translation>
    </message>
    <message>
        <source>3:2, LTX-Video's size</source>
        <translation>3:2，LTX-Video 的尺寸</translation>
    </message>
    <message>
        <source>Wan 480p</source>
        <translation>Wan 480p</translation>
    </message>
    <message>
        <source>HD 720p</source>
        <translation>高清 720p</translation>
    </message>
    <message>
        <source>Full HD 1080p</source>
        <translation>全高清 1080p</translation>
    </message>
    <message>
        <source>4K UHD</source>
        <translation>4K 超高清</translation>
    </message>
    <message>
        <source>Vertical 9:16 (phones)</source>
        <translation>竖屏 9:16（手机）</translation>
    </message>
    <message>
        <source>Square 1:1</source>
        <translation>方形 1:1</translation>
    </message>
    <message>
        <source>Square, small</source>
        <translation>方形，小尺寸</translation>
    </message>
    <message>
        <source>25 fps (PAL)</source>
        <translation>25 帧/秒 (PAL)</translation>
    </message>
    <message>
        <source>29.97 fps (NTSC)</source>
        <translation>29.97 帧/秒 (NTSC)</translation>
    </message>
    <message>
        <source>Custom…</source>
        <translation>自定义…</translation>
    </message>
    <message>
        <source>e.g. 12, 48 or 30000/1001</source>
        <translation>例如 12、48 或 30000/1001</translation>
    </message>
    <message>
        <source>Frame size:</source>
        <translation>画面尺寸：</translation>
    </message>
    <message>
        <source>Frame rate:</source>
        <translation>帧率：</translation>
    </message>
    <message>
        <source>New Project</source>
        <translation>新建项目</translation>
    </message>
    <message>
        <source>Folder:</source>
        <translation>文件夹：</translation>
    </message>
    <message>
        <source>Create Project</source>
        <translation>创建项目</translation>
    </message>
    <message>
        <source>Give the project a name</source>
        <translation>请为项目命名</translation>
    </message>
    <message>
        <source>Folder for the Project</source>
        <translation>项目所在文件夹</translation>
    </message>
    <message>
        <source>Project Settings</source>
        <translation>项目设置</translation>
    </message>
    <message>
        <source>Letterbox: show all of it, with bars</source>
        <translation>加黑边：完整显示，留出黑边</translation>
    </message>
    <message>
        <source>Crop: fill the frame, cutting the edges</source>
        <translation>裁切：填满画面，裁掉边缘</translation>
    </message>
    <message>
        <source>Media of another shape:</source>
        <translation>比例不同的素材：</translation>
    </message>
    <message>
        <source>{rate} fps</source>
        <translation>{rate} 帧/秒</translation>
    </message>
    <message>
        <source>A project name cannot contain / \ or :</source>
        <translation>项目名称不能包含 / \ 或 :</translation>
    </message>
    <message>
        <source>Type a frame rate, e.g. 24 or 30000/1001</source>
        <translation>请输入帧率，例如 24 或 30000/1001</translation>
    </message>
    <message>
        <source>Media of another shape is letterboxed or cropped to the new size as chosen below.</source>
        <translation>比例不同的素材将按下方的选择加黑边或裁切到新尺寸。</translation>
    </message>
    <message>
        <source>The folder {folder} does not exist</source>
        <translation>文件夹 {folder} 不存在</translation>
    </message>
    <message>
        <source>The frame rate changes from {old} to {new} fps: every shot, transition, sound and marker keeps its place and length in seconds.</source>
        <translation>帧率从 {old} 变为 {new} 帧/秒：每个镜头、转场、声音和标记都保持以秒计的位置和长度。</translation>
    </message>
    <message>
        <source>{path} already exists; pick another name</source>
        <translation>{path} 已存在；请换一个名称</translation>
    </message>
    <message>
        <source>Render on:</source>
        <translation>渲染于：</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>Earlier</source>
        <translation>提前</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>延后</translation>
    </message>
    <message>
        <source>Clear Finished</source>
        <translation>清除已完成</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>rendering</source>
        <translation>生成中</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>canceled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>已中断</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>Left</source>
        <translation>剩余</translation>
    </message>
    <message>
        <source>The picture of the shot being generated appears here</source>
        <translation>正在生成的镜头画面会显示在这里</translation>
    </message>
    <message>
        <source>Resume Queue</source>
        <translation>恢复队列</translation>
    </message>
    <message>
        <source>Pause Queue</source>
        <translation>暂停队列</translation>
    </message>
    <message>
        <source>The engine is starting…</source>
        <translation>引擎正在启动…</translation>
    </message>
    <message>
        <source>The queue is paused: running work finishes, nothing new starts.</source>
        <translation>队列已暂停：正在运行的任务会完成，不会开始新任务。</translation>
    </message>
    <message>
        <source>on the farm</source>
        <translation>农场渲染中</translation>
    </message>
    <message>
        <source>No generations yet. Select a shot and press Ctrl+G.</source>
        <translation>还没有生成任务。选择一个镜头，按 Ctrl+G。</translation>
    </message>
    <message>
        <source>Denoising “{name}” (live preview)</source>
        <translation>正在去噪“{name}”（实时预览）</translation>
    </message>
    <message>
        <source>All done</source>
        <translation>全部完成</translation>
    </message>
    <message>
        <source>Finished at {time}</source>
        <translation>完成于 {time}</translation>
    </message>
    <message>
        <source>{n} waiting or rendering</source>
        <translation>{n} 个等待或生成中</translation>
    </message>
    <message>
        <source>Analyse Continuity</source>
        <translation>分析连贯性</translation>
    </message>
    <message>
        <source>Score every join for continuity defects (in the engine; only the shots that changed are measured again)</source>
        <translation>为每个接缝评估连贯性缺陷（在引擎中进行；只重新测量有变化的镜头）</translation>
    </message>
    <message>
        <source>Drift (ΔE)</source>
        <translation>漂移 (ΔE)</translation>
    </message>
    <message>
        <source>Verdict</source>
        <translation>结论</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>分数</translation>
    </message>
    <message>
        <source>Frame</source>
        <translation>帧</translation>
    </message>
    <message>
        <source>Shots</source>
        <translation>镜头</translation>
    </message>
    <message>
        <source>Join</source>
        <translation>衔接</translation>
    </message>
    <message>
        <source>Match Colour</source>
        <translation>匹配颜色</translation>
    </message>
    <message>
        <source>A new take of the later shot graded to match the earlier one</source>
        <translation>为后一个镜头生成新版本，调色以匹配前一个镜头</translation>
    </message>
    <message>
        <source>Flow Blend</source>
        <translation>光流过渡</translation>
    </message>
    <message>
        <source>A new take of the later shot whose first frames flow in from the earlier one</source>
        <translation>为后一个镜头生成新版本，其开头几帧从前一个镜头光流过渡而来</translation>
    </message>
    <message>
        <source>Generate Bridge</source>
        <translation>生成衔接镜头</translation>
    </message>
    <message>
        <source>A generated shot between the two, to render later</source>
        <translation>在两者之间插入一个待渲染的生成镜头</translation>
    </message>
    <message>
        <source>Not analysed yet</source>
        <translation>尚未分析</translation>
    </message>
    <message>
        <source>Select a seam to see its two sides in the viewer (A/B) and repair it.</source>
        <translation>选择一个接缝，在预览器中对比其两侧 (A/B) 并进行修复。</translation>
    </message>
    <message>
        <source>A join inside one take: no repair from here</source>
        <translation>同一版本内部的衔接：无法在此修复</translation>
    </message>
    <message>
        <source>{state}: drift {value:.1f} ΔE at the end (line: {limit:.0f})</source>
        <translation>{state}：结尾漂移 {value:.1f} ΔE（阈值：{limit:.0f}）</translation>
    </message>
    <message>
        <source>Colour drift along long takes (ΔE from the take's first window)</source>
        <translation>长镜头中的颜色漂移（相对于镜头第一个窗口的 ΔE）</translation>
    </message>
    <message>
        <source>Meant to be continuous ({why})</source>
        <translation>应当连续（{why}）</translation>
    </message>
    <message>
        <source>Scores (1.0 is the line): {scores}</source>
        <translation>分数（1.0 为界线）：{scores}</translation>
    </message>
    <message>
        <source>drifting</source>
        <translation>漂移中</translation>
    </message>
    <message>
        <source>steady</source>
        <translation>稳定</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Theme:</source>
        <translation>主题：</translation>
    </message>
    <message>
        <source>Language:</source>
        <translation>语言：</translation>
    </message>
    <message>
        <source>Preview cache:</source>
        <translation>预览缓存：</translation>
    </message>
    <message>
        <source>The preview keeps recently shown frames in memory up to this size.</source>
        <translation>预览会在内存中保留最近显示的帧，最多占用这么多空间。</translation>
    </message>
    <message>
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <source>Restore Default Keys</source>
        <translation>恢复默认按键</translation>
    </message>
    <message>
        <source>Keyboard</source>
        <translation>键盘</translation>
    </message>
    <message>
        <source>Key Already Used</source>
        <translation>按键已被使用</translation>
    </message>
    <message>
        <source>no key</source>
        <translation>无按键</translation>
    </message>
    <message>
        <source>Swap Keys</source>
        <translation>交换按键</translation>
    </message>
    <message>
        <source>Command</source>
        <translation>命令</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>{key} is already the key of “{other}”.</source>
        <translation>{key} 已经是“{other}”的按键。</translation>
    </message>
    <message>
        <source>Swap: “{name}” gets {key}, and “{other}” gets {given}. Cancel keeps the keys as they were.</source>
        <translation>交换：“{name}”使用 {key}，“{other}”使用 {given}。取消则保持原来的按键。</translation>
    </message>
    <message>
        <source>“{name}” now has {key}; “{other}” has {given}.</source>
        <translation>“{name}”现在使用 {key}；“{other}”使用 {given}。</translation>
    </message>
    <message>
        <source>{key} stays with “{other}”.</source>
        <translation>{key} 仍归“{other}”使用。</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>待生成</translation>
    </message>
    <message>
        <source>missing</source>
        <translation>缺失</translation>
    </message>
    <message>
        <source>stale</source>
        <translation>过期</translation>
    </message>
    <message>
        <source>Not generated yet</source>
        <translation>尚未生成</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>Waiting in the queue</source>
        <translation>在队列中等待</translation>
    </message>
    <message>
        <source>{frames} frames · {length}</source>
        <translation>{frames} 帧 · {length}</translation>
    </message>
    <message>
        <source>file missing</source>
        <translation>文件缺失</translation>
    </message>
    <message>
        <source>Use This Take</source>
        <translation>使用这个镜次</translation>
    </message>
    <message>
        <source>Replay</source>
        <translation>重放</translation>
    </message>
    <message>
        <source>Generate this take's recipe again and check that the frames are identical</source>
        <translation>按这个镜次的配方重新生成，并检查帧是否完全相同</translation>
    </message>
    <message>
        <source>Compare Side by Side</source>
        <translation>并排对比</translation>
    </message>
    <message>
        <source>Compare with Wipe</source>
        <translation>划像对比</translation>
    </message>
    <message>
        <source>Use Take {n} of “{name}”</source>
        <translation>使用“{name}”的镜次 {n}</translation>
    </message>
    <message>
        <source>Delete Take {n} of “{name}”</source>
        <translation>删除“{name}”的镜次 {n}</translation>
    </message>
    <message>
        <source>Take {n}</source>
        <translation>镜次 {n}</translation>
    </message>
    <message>
        <source>“{name}” (deleted shot)</source>
        <translation>“{name}”（已删除的镜头）</translation>
    </message>
    <message>
        <source>Replaying take… the result is compared frame by frame when it is done.</source>
        <translation>正在重放镜次… 完成后会逐帧比较结果。</translation>
    </message>
    <message>
        <source>active</source>
        <translation>使用中</translation>
    </message>
    <message>
        <source>seed {seed}</source>
        <translation>种子 {seed}</translation>
    </message>
    <message>
        <source>Select one shot to see its takes.</source>
        <translation>选择一个镜头以查看它的镜次。</translation>
    </message>
    <message>
        <source>Select one shot to see its takes. Kept from deleted shots: {n}</source>
        <translation>选择一个镜头以查看它的镜次。从已删除镜头保留的镜次：{n}</translation>
    </message>
    <message>
        <source>Takes of “{name}” ({n})</source>
        <translation>“{name}”的镜次（{n}）</translation>
    </message>
    <message>
        <source>“{name}” has no take yet; generate it (Ctrl+G)</source>
        <translation>“{name}”还没有镜次，请生成（Ctrl+G）</translation>
    </message>
    <message>
        <source>Video track: drop media here</source>
        <translation>视频轨道：把素材拖到这里</translation>
    </message>
    <message>
        <source>Audio track</source>
        <translation>音频轨道</translation>
    </message>
    <message>
        <source>In {tc}</source>
        <translation>入点 {tc}</translation>
    </message>
    <message>
        <source>Out {tc}</source>
        <translation>出点 {tc}</translation>
    </message>
    <message>
        <source>Drag to trim the head of “{name}” (the shots after it move); Ctrl+drag rolls the cut</source>
        <translation>拖动以修剪“{name}”的头部（后面的镜头随之移动）；按住 Ctrl 拖动则滚动剪辑点</translation>
    </message>
    <message>
        <source>Drag to trim the tail of “{name}” (the shots after it move); Ctrl+drag rolls the cut</source>
        <translation>拖动以修剪“{name}”的尾部（后面的镜头随之移动）；按住 Ctrl 拖动则滚动剪辑点</translation>
    </message>
    <message>
        <source>{n} shots</source>
        <translation>{n} 个镜头</translation>
    </message>
    <message>
        <source>No shots yet. Drop video or image files here, or use File › Import Media.</source>
        <translation>还没有镜头。把视频或图片文件拖到这里，或使用 文件 › 导入素材。</translation>
    </message>
    <message>
        <source>Compare A/B:</source>
        <translation>A/B 对比：</translation>
    </message>
    <message>
        <source>Sound off (click to hear it)</source>
        <translation>已静音（点击恢复声音）</translation>
    </message>
    <message>
        <source>Mute</source>
        <translation>静音</translation>
    </message>
    <message>
        <source>Empty timeline</source>
        <translation>时间线为空</translation>
    </message>
    <message>
        <source>Volume {n}%</source>
        <translation>音量 {n}%</translation>
    </message>
    <message>
        <source>Frame {frame} / {last}   {tc}</source>
        <translation>第 {frame} / {last} 帧   {tc}</translation>
    </message>
    <message>
        <source>shot “{name}” would be {n} frames long; a shot needs at least 1 frame</source>
        <translation>镜头“{name}”将只有 {n} 帧；镜头至少需要 1 帧</translation>
    </message>
    <message>
        <source>shot “{name}” would start {n} frames before its media begins</source>
        <translation>镜头“{name}”将比素材开头早 {n} 帧</translation>
    </message>
    <message>
        <source>shot “{name}” needs source frames up to {n} but its media has {m} frames</source>
        <translation>镜头“{name}”需要素材的第 {n} 帧，但素材只有 {m} 帧</translation>
    </message>
    <message>
        <source>the {n}-frame transition into shot “{name}” needs its in-point at source frame {m} or later</source>
        <translation>进入镜头“{name}”的 {n} 帧转场要求其入点位于素材第 {m} 帧或之后</translation>
    </message>
    <message>
        <source>the {n}-frame transition after shot “{name}” needs the shot to stay at least {m} frames long</source>
        <translation>镜头“{name}”之后的 {n} 帧转场要求该镜头至少保留 {m} 帧</translation>
    </message>
    <message>
        <source>the split point must be inside shot “{name}” (1..{m})</source>
        <translation>分割点必须在镜头“{name}”之内（1..{m}）</translation>
    </message>
    <message>
        <source>the {n}-frame transition after shot “{name}” needs at least {m} frames after the split point</source>
        <translation>镜头“{name}”之后的 {n} 帧转场要求分割点之后至少有 {m} 帧</translation>
    </message>
    <message>
        <source>shot “{name}” is the first shot; there is nothing to mix from</source>
        <translation>镜头“{name}”是第一个镜头；前面没有可以混合的画面</translation>
    </message>
    <message>
        <source>shot “{name}” is {n} frames; a {m}-frame transition needs at least {k}</source>
        <translation>镜头“{name}”只有 {n} 帧；{m} 帧的转场至少需要 {k} 帧</translation>
    </message>
    <message>
        <source>the shot before “{name}” is {n} frames; a transition can be at most that long, not {m}</source>
        <translation>“{name}”之前的镜头只有 {n} 帧；转场最长只能这么长，不能是 {m} 帧</translation>
    </message>
    <message>
        <source>a transition needs at least 1 frame, not {n}; use a cut instead</source>
        <translation>转场至少需要 1 帧，不能是 {n}；请改用硬切</translation>
    </message>
    <message>
        <source>shot “{name}” has no transition to clear</source>
        <translation>镜头“{name}”没有可以清除的转场</translation>
    </message>
    <message>
        <source>that take has {n} frames but shot “{name}” shows source frames up to {m}; trim the shot first</source>
        <translation>该镜次只有 {n} 帧，而镜头“{name}”用到了第 {m} 帧；请先修剪镜头</translation>
    </message>
    <message>
        <source>that take is the active take of shot “{name}”; choose another take first</source>
        <translation>该镜次正被镜头“{name}”使用；请先选择另一个镜次</translation>
    </message>
    <message>
        <source>shot “{name}” is waiting to be generated; it needs a recipe</source>
        <translation>镜头“{name}”正在等待生成；它需要生成参数</translation>
    </message>
    <message>
        <source>{path} is already in the media bin</source>
        <translation>{path} 已在素材箱中</translation>
    </message>
    <message>
        <source>a marker cannot be before the start of the timeline (frame {n})</source>
        <translation>标记不能在时间线开始之前（第 {n} 帧）</translation>
    </message>
    <message>
        <source>a project needs a name</source>
        <translation>项目需要一个名称</translation>
    </message>
    <message>
        <source>frame size {w}×{h} must have even sides (video is encoded in 2×2 blocks); try {tw}×{th}</source>
        <translation>画面尺寸 {w}×{h} 的边长必须是偶数（视频按 2×2 块编码）；试试 {tw}×{th}</translation>
    </message>
    <message>
        <source>frame size {w}×{h} must be between 2×2 and {m}×{m2}</source>
        <translation>画面尺寸 {w}×{h} 必须在 2×2 到 {m}×{m2} 之间</translation>
    </message>
    <message>
        <source>frame size {v} must be two whole numbers like 768×512</source>
        <translation>画面尺寸 {v} 必须是两个整数，例如 768×512</translation>
    </message>
    <message>
        <source>frame rate {v} must be between 0 and 1000 frames per second</source>
        <translation>帧率 {v} 必须在 0 到 1000 帧/秒之间</translation>
    </message>
    <message>
        <source>frame rate {v} is not a number like 24 or 30000/1001</source>
        <translation>帧率 {v} 不是像 24 或 30000/1001 这样的数字</translation>
    </message>
    <message>
        <source>the cut cannot be conformed to {rate} fps ({why})</source>
        <translation>剪辑无法转换到 {rate} 帧/秒（{why}）</translation>
    </message>
    <message>
        <source>Change Prompt</source>
        <translation>修改提示词</translation>
    </message>
    <message>
        <source>Change Avoid</source>
        <translation>修改反向提示词</translation>
    </message>
    <message>
        <source>Change Model</source>
        <translation>修改模型</translation>
    </message>
    <message>
        <source>Change Duration</source>
        <translation>修改时长</translation>
    </message>
    <message>
        <source>Change Size</source>
        <translation>修改尺寸</translation>
    </message>
    <message>
        <source>Change Seed</source>
        <translation>修改种子</translation>
    </message>
    <message>
        <source>Change Steps</source>
        <translation>修改步数</translation>
    </message>
    <message>
        <source>Change Guidance</source>
        <translation>修改引导系数</translation>
    </message>
    <message>
        <source>Change Image</source>
        <translation>修改图片</translation>
    </message>
    <message>
        <source>Change Task</source>
        <translation>修改任务</translation>
    </message>
    <message>
        <source>Change Direction</source>
        <translation>修改方向</translation>
    </message>
    <message>
        <source>Change Context Frames</source>
        <translation>修改上下文帧数</translation>
    </message>
    <message>
        <source>Change Memory</source>
        <translation>修改显存档位</translation>
    </message>
    <message>
        <source>Change Quality</source>
        <translation>修改质量</translation>
    </message>
    <message>
        <source>Change Prompts</source>
        <translation>修改提示词</translation>
    </message>
    <message>
        <source>Change LoRAs</source>
        <translation>修改 LoRA</translation>
    </message>
    <message>
        <source>Change LoRA Strength</source>
        <translation>修改 LoRA 强度</translation>
    </message>
    <message>
        <source>Step cache:</source>
        <translation>步骤缓存：</translation>
    </message>
    <message>
        <source>None (exact)</source>
        <translation>无（精确）</translation>
    </message>
    <message>
        <source>First-block cache</source>
        <translation>首块缓存</translation>
    </message>
    <message>
        <source>MagCache (calibrates once per model)</source>
        <translation>MagCache（每个模型校准一次）</translation>
    </message>
    <message>
        <source>TaylorSeer</source>
        <translation>TaylorSeer</translation>
    </message>
    <message>
        <source>Reuses the denoiser's work between steps: faster, a little less exact. Automatic: the first-block cache on drafts, none on finals</source>
        <translation>在步骤之间复用去噪器的计算：更快，但略欠精确。自动：草稿使用首块缓存，成片不使用</translation>
    </message>
    <message>
        <source>Change Step Cache</source>
        <translation>修改步骤缓存</translation>
    </message>
</context>
<context>
    <name>Actions</name>
    <message>
        <source>&amp;New Project…</source>
        <translation>新建项目(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Open Project…</source>
        <translation>打开项目(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>保存(&amp;S)</translation>
    </message>
    <message>
        <source>Save &amp;As…</source>
        <translation>另存为(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Import Media…</source>
        <translation>导入素材(&amp;I)…</translation>
    </message>
    <message>
        <source>Import to Media &amp;Bin…</source>
        <translation>导入到素材箱(&amp;B)…</translation>
    </message>
    <message>
        <source>&amp;Export…</source>
        <translation>导出(&amp;E)…</translation>
    </message>
    <message>
        <source>&amp;Project Settings…</source>
        <translation>项目设置(&amp;P)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>S&amp;plit at Playhead</source>
        <translation>在播放头处分割(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Delete Shot</source>
        <translation>删除镜头(&amp;D)</translation>
    </message>
    <message>
        <source>D&amp;uplicate Shot</source>
        <translation>复制镜头(&amp;U)</translation>
    </message>
    <message>
        <source>Move Shot &amp;Earlier</source>
        <translation>镜头前移(&amp;E)</translation>
    </message>
    <message>
        <source>Move Shot &amp;Later</source>
        <translation>镜头后移(&amp;L)</translation>
    </message>
    <message>
        <source>Set &amp;Crossfade</source>
        <translation>设置交叉溶解(&amp;C)</translation>
    </message>
    <message>
        <source>Clear &amp;Transition</source>
        <translation>清除转场(&amp;T)</translation>
    </message>
    <message>
        <source>Se&amp;ttings…</source>
        <translation>设置(&amp;T)…</translation>
    </message>
    <message>
        <source>&amp;New Shot from Prompt…</source>
        <translation>用提示词新建镜头(&amp;N)…</translation>
    </message>
    <message>
        <source>&amp;Generate Shot</source>
        <translation>生成镜头(&amp;G)</translation>
    </message>
    <message>
        <source>Generate &amp;All Pending and Stale</source>
        <translation>生成所有待生成和已过期的镜头(&amp;A)</translation>
    </message>
    <message>
        <source>Extend &amp;Forward</source>
        <translation>向后延长(&amp;F)</translation>
    </message>
    <message>
        <source>Extend &amp;Backward</source>
        <translation>向前延长(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Bridge to Next Shot</source>
        <translation>衔接到下一个镜头(&amp;B)</translation>
    </message>
    <message>
        <source>&amp;Long Take from Here…</source>
        <translation>从这里开始长镜头(&amp;L)…</translation>
    </message>
    <message>
        <source>Regenerate with New &amp;Seed</source>
        <translation>用新种子重新生成(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Upscale ×2</source>
        <translation>放大 ×2(&amp;U)</translation>
    </message>
    <message>
        <source>Upscale ×&amp;4</source>
        <translation>放大 ×4(&amp;4)</translation>
    </message>
    <message>
        <source>Slow Motion ×2</source>
        <translation>慢动作 ×2</translation>
    </message>
    <message>
        <source>Slow Motion ×4</source>
        <translation>慢动作 ×4</translation>
    </message>
    <message>
        <source>&amp;Models…</source>
        <translation>模型(&amp;M)…</translation>
    </message>
    <message>
        <source>&amp;Play / Pause</source>
        <translation>播放 / 暂停(&amp;P)</translation>
    </message>
    <message>
        <source>Shuttle &amp;Backward</source>
        <translation>向后穿梭(&amp;B)</translation>
    </message>
    <message>
        <source>Shuttle &amp;Stop</source>
        <translation>停止穿梭(&amp;S)</translation>
    </message>
    <message>
        <source>Shuttle &amp;Forward</source>
        <translation>向前穿梭(&amp;F)</translation>
    </message>
    <message>
        <source>Previous &amp;Frame</source>
        <translation>上一帧(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Next Frame</source>
        <translation>下一帧(&amp;N)</translation>
    </message>
    <message>
        <source>Back One Second</source>
        <translation>后退一秒</translation>
    </message>
    <message>
        <source>Forward One Second</source>
        <translation>前进一秒</translation>
    </message>
    <message>
        <source>Go to &amp;Start</source>
        <translation>跳到开头(&amp;S)</translation>
    </message>
    <message>
        <source>Go to &amp;End</source>
        <translation>跳到结尾(&amp;E)</translation>
    </message>
    <message>
        <source>Previous Shot Boundary</source>
        <translation>上一个镜头边界</translation>
    </message>
    <message>
        <source>Next Shot Boundary</source>
        <translation>下一个镜头边界</translation>
    </message>
    <message>
        <source>Set &amp;In</source>
        <translation>设置入点(&amp;I)</translation>
    </message>
    <message>
        <source>Set &amp;Out</source>
        <translation>设置出点(&amp;O)</translation>
    </message>
    <message>
        <source>Go to In</source>
        <translation>跳到入点</translation>
    </message>
    <message>
        <source>Go to Out</source>
        <translation>跳到出点</translation>
    </message>
    <message>
        <source>&amp;Loop In/Out</source>
        <translation>循环入点/出点(&amp;L)</translation>
    </message>
    <message>
        <source>Add &amp;Marker</source>
        <translation>添加标记(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Edit Marker…</source>
        <translation>编辑标记(&amp;E)…</translation>
    </message>
    <message>
        <source>Delete Marker</source>
        <translation>删除标记</translation>
    </message>
    <message>
        <source>Next Marker</source>
        <translation>下一个标记</translation>
    </message>
    <message>
        <source>Previous Marker</source>
        <translation>上一个标记</translation>
    </message>
    <message>
        <source>&amp;Full Screen Viewer</source>
        <translation>全屏预览(&amp;F)</translation>
    </message>
    <message>
        <source>Sa&amp;fe Areas</source>
        <translation>安全框(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Onion Skin</source>
        <translation>洋葱皮(&amp;O)</translation>
    </message>
    <message>
        <source>Compare: Off</source>
        <translation>对比：关闭</translation>
    </message>
    <message>
        <source>Compare: Side by Side</source>
        <translation>对比：并排</translation>
    </message>
    <message>
        <source>Compare: Wipe</source>
        <translation>对比：划像</translation>
    </message>
    <message>
        <source>Zoom &amp;In Timeline</source>
        <translation>放大时间线(&amp;I)</translation>
    </message>
    <message>
        <source>Zoom &amp;Out Timeline</source>
        <translation>缩小时间线(&amp;O)</translation>
    </message>
    <message>
        <source>Zoom to &amp;Fit</source>
        <translation>缩放到适合(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;About Shotloom</source>
        <translation>关于 Shotloom(&amp;A)</translation>
    </message>
</context>
</TS>
